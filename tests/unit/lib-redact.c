/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib-redact.c: unit tests of lib/redact.c, the one redactor of targets
 * and of URLs and conninfo quoted in messages: every case of issue 11 item
 * 7, and the cases of the three redactors it replaced (agent/util.c,
 * plugins/common/phttp.c, plugins/common/ppg.c), with the answers a
 * deny-by-default redactor gives.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/redact.h"

/* Asserts that redacting in gives want, and that redacting that again
 * changes nothing. */
static void check(const char *in, const char *want)
{
  char *got = redact_target(in);
  assert_non_null(got);
  assert_string_equal(got, want);
  char *again = redact_target(got);
  assert_non_null(again);
  assert_string_equal(again, got);
  free(again);
  free(got);
}

/* Asserts that secret does not survive redacting in. */
static void gone(const char *in, const char *secret)
{
  char *got = redact_target(in);
  assert_non_null(got);
  if(strstr(got, secret))
    fail_msg("'%s' survives in '%s'", secret, got);
  free(got);
}

/* Issue 11 item 7, one case each. */
static void test_issue_cases(void **state)
{
  (void)state;
  /* userinfo without a colon */
  check("http://TOKEN@host/", "http://REDACTED@host/");
  /* query names nobody listed as credentials */
  check(
      "https://h/p?access=A1&jwt=J1&pwd=P1&session=S1",
      "https://h/p?access=REDACTED&jwt=REDACTED&pwd=REDACTED&session=REDACTED");
  /* a password after any white space */
  check("host=db\tpassword=X1", "host=db password=REDACTED");
  check("host=db\npassword=X2", "host=db password=REDACTED");
  check("host=db\r\n\vpassword=X2", "host=db   password=REDACTED");
  check("user=x sslpassword=X3", "user=x sslpassword=REDACTED");
  /* a password in a target that holds :// elsewhere */
  check("host=db dbname=x password=X4 (via http://relay/)",
        "host=db dbname=x password=REDACTED (via http://relay/)");
  check("http://relay/ host=db password=X5",
        "http://relay/ host=db password=REDACTED");
  /* the '@' after a '/' in the password */
  check("postgresql://u:pa/ss@h/db", "postgresql://REDACTED@h/db");
  check("postgresql://u:1234/ss@h/db", "postgresql://REDACTED@h/db");
  check("postgresql://u:pa?ss@h/db", "postgresql://REDACTED@h/db");
  /* userinfo without a scheme (a tls endpoint, a plugin's own target) */
  check("u:PWSECRET@h:1", "REDACTED@h:1");
  check("tls to u:pw@host:443 failed", "tls to REDACTED@host:443 failed");
  check("ops@example.org", "ops@example.org");
  check("medlink.example:443", "medlink.example:443");
}

/* URLs: userinfo, query, fragment, path keys. */
static void test_urls(void **state)
{
  (void)state;
  check("http://127.0.0.1:8545", "http://127.0.0.1:8545");
  check("http://relay:8080/relay/workflow/dead-letters",
        "http://relay:8080/relay/workflow/dead-letters");
  check("http://[::1]:8080/x", "http://[::1]:8080/x");
  check("postgresql://h1:5432,h2:5433/db", "postgresql://h1:5432,h2:5433/db");
  check("", "");
  /* every userinfo, with or without a password */
  check("https://user:hunter2@node.example:8545/",
        "https://REDACTED@node.example:8545/");
  check("https://user:@node.example/", "https://REDACTED@node.example/");
  check("https://user@node.example/", "https://REDACTED@node.example/");
  check("postgresql://probe:pw@db/itrans", "postgresql://REDACTED@db/itrans");
  check("postgresql://probe@db/itrans", "postgresql://REDACTED@db/itrans");
  check("http://u:p@ss@h/x", "http://REDACTED@h/x");
  check("https://u:p@h:1/a@b", "https://REDACTED@h:1/a@b");
  check("postgresql://u:p%40ss@db1,db2/x?sslpassword=z",
        "postgresql://REDACTED@db1,db2/x?sslpassword=REDACTED");
  /* an '@' in the path of a URL without userinfo or port is not userinfo */
  check("http://h/a@b", "http://h/a@b");
  /* a port that is a word may be a password */
  check("http://h:s3cret/x", "http://h:REDACTED/x");
  check("http://u:p@h:s3cret/x", "http://REDACTED@h:REDACTED/x");
  /* any scheme, and none */
  check("redis://:pw@cache:6379/0", "redis://REDACTED@cache:6379/0");
  check("x ://u:pw@h/", "x ://REDACTED@h/");
  check("_git+ssh://u:pw@h/", "_git+ssh://REDACTED@h/");
  /* the query: names on the allow-list keep their values */
  check("https://h/p?limit=10&offset=20&page=2&format=json&sslmode=require",
        "https://h/p?limit=10&offset=20&page=2&format=json&sslmode=require");
  check("https://h/p?api_key=1&x=2&Token=3#frag",
        "https://h/p?api_key=REDACTED&x=REDACTED&Token=REDACTED#frag");
  check("https://h/rpc?apikey=abc&chain=1",
        "https://h/rpc?apikey=REDACTED&chain=1");
  check(
      "https://h/?access_token=t0k&Password=x;sig=1&AUTH=2&plain=3",
      "https://h/?access_token=REDACTED&Password=REDACTED;sig=REDACTED&AUTH=REDACTED&plain=REDACTED");
  check("https://h/?client_secret=&a",
        "https://h/?client_secret=REDACTED&REDACTED");
  check("https://h/?X-Amz-Signature=deadbeef#f",
        "https://h/?X-Amz-Signature=REDACTED#f");
  check("https://h/?s3cr3t", "https://h/?REDACTED");
  check("https://h/?Page=2&LIMIT=3", "https://h/?Page=2&LIMIT=3");
  /* an allowed name whose value nests a credential */
  check("https://h/?host=u:p@x", "https://h/?host=REDACTED");
  check("https://h/?dbname=user%3Du%20password%3Dp",
        "https://h/?dbname=REDACTED");
  /* the fragment: parameters as in the query; words unless key-like */
  check("https://h/cb#access_token=xyz&state=1",
        "https://h/cb#access_token=REDACTED&state=REDACTED");
  check("https://eth.example/rpc?page=1#top",
        "https://eth.example/rpc?page=1#top");
  check("https://h/#0123456789abcdef0123456789abcdef", "https://h/#REDACTED");
  /* API keys in the path */
  check("https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161",
        "https://mainnet.infura.io/v3/REDACTED");
  check("https://eth-mainnet.g.alchemy.com/v2/AbCdEf0123456789AbCdEf0123/x",
        "https://eth-mainnet.g.alchemy.com/v2/REDACTED/x");
  check("https://h/averyveryverylongpathsegmentname",
        "https://h/averyveryverylongpathsegmentname");
  /* PostgreSQL URIs */
  check("postgresql://probe:s3cret@db:5432/medlink?sslmode=require",
        "postgresql://REDACTED@db:5432/medlink?sslmode=require");
  check("postgresql://db/medlink?password=s3cret&sslmode=require",
        "postgresql://db/medlink?password=REDACTED&sslmode=require");
  check("postgresql://", "postgresql://");
  check("postgresql:///medlink?host=/run/pg",
        "postgresql:///medlink?host=/run/pg");
  check("postgresql://h/db#ledger_events.event",
        "postgresql://h/db#ledger_events.event");
}

/* key=value text (libpq conninfo and anything like it). */
static void test_conninfo(void **state)
{
  (void)state;
  check("/var/backups/ledger.jsonl", "/var/backups/ledger.jsonl");
  check("db.example:5432", "db.example:5432");
  check("host=db user=probe password=s3cret dbname=medlink",
        "host=db user=probe password=REDACTED dbname=medlink");
  check("password=s3cret", "password=REDACTED");
  check("password=", "password=REDACTED");
  check("host=db password = 's3 cr\\'et' port=5432",
        "host=db password=REDACTED port=5432");
  check("host=db password = 'a b\\' c' user=x",
        "host=db password=REDACTED user=x");
  check("host=db password='pa ss' user=x", "host=db password=REDACTED user=x");
  check("host=db password=pa\\ ss user=x", "host=db password=REDACTED user=x");
  check("host=db sslpassword=k3y sslmode=verify-full",
        "host=db sslpassword=REDACTED sslmode=verify-full");
  check("host='/run/pg sock' user=probe", "host='/run/pg sock' user=probe");
  check("  host=db   port=5432 ", "  host=db   port=5432 ");
  check("dbname=passwordless", "dbname=passwordless");
  check("passfile=/etc/probe/pgpass sslkey=/etc/probe/k.pem",
        "passfile=/etc/probe/pgpass sslkey=/etc/probe/k.pem");
  /* every keyword not known to be harmless */
  check(
      "host=db authtoken=T secret=S apikey=K region=eu",
      "host=db authtoken=REDACTED secret=REDACTED apikey=REDACTED region=REDACTED");
  check("Password=X PASSWORD=Y 9pw=Z",
        "Password=REDACTED PASSWORD=REDACTED 9pw=REDACTED");
  /* an unquoted value runs to white space, as in libpq */
  check("(password=X),password=Y;password=Z", "(password=REDACTED");
  check("(password=X) ,password=Y", "(password=REDACTED ,password=REDACTED");
  /* libpq takes what follows "= " as the value */
  check("password= user=x", "password=REDACTED");
  /* an unterminated quote runs to the end */
  check("host=db password='unterminated s3cret", "host=db password=REDACTED");
  check("garbage s3cret", "garbage s3cret");
  /* text right after a closing quote (libpq refuses it) goes with the value */
  check("password=''pw\'' user=x", "password=REDACTED user=x");
  check("host='a'b user=x", "host='a'b user=x");
  /* a dbname that is itself a conninfo or a URI (libpq expands it) */
  check("dbname='postgresql://u:pw@h/d' host=x",
        "dbname='postgresql://REDACTED@h/d' host=x");
  check("dbname=postgresql://u:pw@h/d host=x",
        "dbname='postgresql://REDACTED@h/d' host=x");
  check("dbname='user=u password=pw' host=x",
        "dbname='user=u password=REDACTED' host=x");
  check("options='-c statement_timeout=5s'",
        "options='-c statement_timeout=REDACTED'");
  /* targets plugins build around a conninfo */
  check("host=db dbname=q (pgboss pgboss.job)",
        "host=db dbname=q (pgboss pgboss.job)");
  check("host=db dbname=x#ledger_events.event",
        "host=db dbname=x#ledger_events.event");
}

/* The output is valid UTF-8 without control characters. */
static void test_clean(void **state)
{
  (void)state;
  check("Jos\xc3\xa9 \xe2\x82\xac", "Jos\xc3\xa9 \xe2\x82\xac");
  check("a\x01"
        "b\x7f"
        "c\xc2\x85"
        "d",
        "a\xef\xbf\xbd"
        "b\xef\xbf\xbd"
        "c\xef\xbf\xbd"
        "d");
  check("x\xff\xc3(\xed\xa0\x80",
        "x\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  check("x\x1b[31mred", "x\xef\xbf\xbd[31mred");
  check("host='a\nb'", "host='a b'");
  check("http://h/\x01?page=\x02", "http://h/\xef\xbf\xbd?page=\xef\xbf\xbd");
  /* a URL after a replaced byte: its redacted form is a fixed point
   * (fuzz-redact found "\xff://=@" giving "REDACTED@" the second time) */
  check("\xff://=@", "\xef\xbf\xbd://"
                     "REDACTED@");
  check("\xff://u:pw@h", "\xef\xbf\xbd://"
                         "REDACTED@h");
  /* an '=' inside a URL in the word does not spare user:pw@ before it */
  check("h//u:pa/ss@h0:54]2ql2/db?sslmodeql://u:pa/ss@word=xt\xfft@hl/",
        "REDACTED@h0:54]2ql2/db?sslmodeql://REDACTED@hl/");
  check("a:b@c://d", "REDACTED@c://d");
  /* an '=' in the password of a scheme-less user:password@host: what
   * looks like a key before it goes too, and its value, whatever the key */
  check("user:pa=ss@host:5432", "user:REDACTED=REDACTED");
  check("to user:pa=ss=@h, then", "to user:REDACTED=REDACTED then");
  check("alice:host=s3cr3t@db", "alice:REDACTED=REDACTED");
  check("u:host= x@h", "u:REDACTED=REDACTED");
  check("u:p=x y@h", "u:p=REDACTED y@h");
  check("password=a:b@c", "password=REDACTED");
  /* fuzz-redact: the white space the key=value rule drops */
  check("u:p:dbname='user=\t\tx@h:y'", "u:p:REDACTED=REDACTED");
  check("db::@x`home='user=", "REDACTED@x`home=REDACTED");
  /* the word before an '=' is one too */
  check("a:b@c:k=v@d", "REDACTED@c:REDACTED=REDACTED");
  check("a:b@c=d", "REDACTED@c=REDACTED");
  assert_null(redact_target(NULL));
}

/* No byte of these secrets survives, in any of the forms they can take. */
static void test_secrets_gone(void **state)
{
  (void)state;
  gone(
      "https://alice:s3cr3t-pw@n.example/v3/0123456789abcdef0123456789abcdef?token=tt&x=1",
      "s3cr3t");
  gone(
      "https://alice:s3cr3t-pw@n.example/v3/0123456789abcdef0123456789abcdef?token=tt&x=1",
      "0123456789abcdef");
  gone(
      "https://alice:s3cr3t-pw@n.example/v3/0123456789abcdef0123456789abcdef?token=tt&x=1",
      "alice");
  gone("host=db\fpassword=s3cr3t", "s3cr3t");
  gone("user=x\vsslpassword = 's3 cr3t'", "cr3t");
  gone("service=x password=s3cr3t (from https://x/)", "s3cr3t");
  gone("postgresql://u:s3/cr3t@h/db", "cr3t");
  gone("postgresql://u:s3?cr3t@h/db", "cr3t");
  gone("postgresql://u:s3#cr3t@h/db", "cr3t");
  gone("dbname='dbname=''password=s3cr3t'''", "s3cr3t");
  gone("dbname='dbname=\\'password=s3cr3t\\''", "s3cr3t");
  gone("tls target alice:pa=s3cr3t@db.example:5432 refused", "pa");
  gone("alice:pa=s3cr3t@db.example:5432", "s3cr3t");
  gone("alice:host=s3cr3t@db.example:5432", "s3cr3t");
  gone("tls alice:s3cr3t@db:5432:sslmode=require@x", "s3cr3t");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_issue_cases),  cmocka_unit_test(test_urls),
      cmocka_unit_test(test_conninfo),     cmocka_unit_test(test_clean),
      cmocka_unit_test(test_secrets_gone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
