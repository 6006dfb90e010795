/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Functions that are easy to misuse with untrusted input are turned into
 * compile errors (after git's banned.h). Include this last in every .c file
 * through "util/util.h". Use the bounded alternatives instead:
 *   strcpy/strcat/strncpy -> snprintf, buf_append*, memcpy with a checked length
 *   sprintf/vsprintf      -> snprintf/vsnprintf
 *   atoi/atol             -> parse_u64()/parse_i64() in util/parse.h
 *   sscanf                -> explicit cursor parsing
 *   strtok                -> memchr/strchr with explicit lengths
 *   gets                  -> fgets/getline
 */
#ifndef BT_UTIL_BANNED_H
#define BT_UTIL_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef sscanf
#define sscanf(...) BANNED(sscanf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)

#endif
