/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.c: UTF-8 validation (see utf8.h).
 */
#include "config.h"

#include "lib/utf8.h"

size_t utf8_seq_len(const char *str, size_t n)
{
  const unsigned char *s = (const unsigned char *)str;
  if(n == 0)
    return 0;
  unsigned c = s[0];
  if(c < 0x80)
    return 1;
  size_t need;
  unsigned min;
  if(c >= 0xc2 && c <= 0xdf) {
    need = 1;
    min = 0x80;
  }
  else if(c >= 0xe0 && c <= 0xef) {
    need = 2;
    min = 0x800;
  }
  else if(c >= 0xf0 && c <= 0xf4) {
    need = 3;
    min = 0x10000;
  }
  else
    return 0; /* a continuation byte, 0xc0/0xc1 (always overlong), 0xf5+ */
  if(n <= need)
    return 0; /* cut short */
  unsigned cp = c & (0x3fu >> need);
  for(size_t k = 1; k <= need; k++) {
    if((s[k] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[k] & 0x3fu);
  }
  if(cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return need + 1;
}

int utf8_valid(const char *s, size_t len, size_t *bad_at)
{
  size_t i = 0;
  while(i < len) {
    size_t n = utf8_seq_len(s + i, len - i);
    if(n == 0) {
      if(bad_at)
        *bad_at = i;
      return 0;
    }
    i += n;
  }
  return 1;
}
