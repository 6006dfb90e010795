/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Doubly linked lists threaded through the elements' own `next` and `prev`
 * fields, with a head pointer and no sentinel: the peers of a BitTorrent
 * session, the DHCP server's delayed replies, the TFTP server's transfers.
 * Each list is walked as `for (x = head; x; x = x->next)`; these two take
 * an element in and out in O(1). (BSD's <sys/queue.h> LIST_* does the same
 * with a pointer to the previous `next` instead of `prev`.)
 */
#ifndef UTIL_DLIST_H
#define UTIL_DLIST_H

/* Puts node at the front of the list that head (an lvalue) starts. */
#define DLIST_PUSH(head, node)                                                                     \
	do {                                                                                       \
		(node)->prev = NULL;                                                               \
		(node)->next = (head);                                                             \
		if ((node)->next)                                                                  \
			(node)->next->prev = (node);                                               \
		(head) = (node);                                                                   \
	} while (0)

/* Takes node out of the list that head starts; its own next and prev are
 * left as they were. */
#define DLIST_UNLINK(head, node)                                                                   \
	do {                                                                                       \
		if ((node)->prev)                                                                  \
			(node)->prev->next = (node)->next;                                         \
		else                                                                               \
			(head) = (node)->next;                                                     \
		if ((node)->next)                                                                  \
			(node)->next->prev = (node)->prev;                                         \
	} while (0)

#endif
