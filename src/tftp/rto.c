/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tftp/rto.h"

static uint64_t clamp(const struct tftp_rto *r, uint64_t ns)
{
	return ns < r->min_ns ? r->min_ns : ns > r->max_ns ? r->max_ns : ns;
}

void tftp_rto_init(struct tftp_rto *r, uint64_t min_ns, uint64_t max_ns)
{
	*r = (struct tftp_rto){
		.min_ns = min_ns < max_ns ? min_ns : max_ns,
		.max_ns = max_ns,
		.rto_ns = max_ns,
	};
}

void tftp_rto_sample(struct tftp_rto *r, uint64_t rtt_ns)
{
	if (!r->have_sample) {
		r->srtt_ns = rtt_ns;
		r->rttvar_ns = rtt_ns / 2;
		r->have_sample = true;
	} else {
		/* RFC 6298 2.3: beta 1/4, alpha 1/8, in that order. */
		uint64_t err = r->srtt_ns > rtt_ns ? r->srtt_ns - rtt_ns : rtt_ns - r->srtt_ns;
		r->rttvar_ns = r->rttvar_ns - r->rttvar_ns / 4 + err / 4;
		r->srtt_ns = r->srtt_ns - r->srtt_ns / 8 + rtt_ns / 8;
	}
	r->rto_ns = clamp(r, r->srtt_ns + 4 * r->rttvar_ns);
}

void tftp_rto_backoff(struct tftp_rto *r)
{
	r->rto_ns = clamp(r, r->rto_ns > r->max_ns / 2 ? r->max_ns : r->rto_ns * 2);
}
