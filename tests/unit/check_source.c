/*
 * check_source.c - the per-source table of TLS peers before Hello: what a
 * source is (an IPv4 address, also v4-mapped; an IPv6 /64), how its
 * penalty grows and where it is capped, and that the table stays bounded.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runneld.h"

static struct config	conf;

/* A penalty of 1 s a connection, as the default. */
static void
setup(void)
{
	memset(&conf, 0, sizeof conf);
	conf.source_penalty_ms = 1000;
	server.conf = &conf;
}

/* The source of an address in text, IPv4 or IPv6. */
static struct source *
source_of(const char *addr)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr),
		    1);
		sin6->sin6_family = AF_INET6;
	}
	return source_get((struct sockaddr *)&ss);
}

/* IPv4 by address, v4-mapped IPv6 as IPv4, IPv6 by /64.  An entry
 * without sessions may be reused by the next source_get: each is held by
 * a session while it is compared. */
START_TEST(test_source_keys)
{
	struct session	 sa, sb;
	struct source	*a, *b;

	memset(&sa, 0, sizeof sa);
	memset(&sb, 0, sizeof sb);
	a = source_of("192.0.2.1");
	ck_assert_ptr_nonnull(a);
	source_add(a, &sa);
	ck_assert_str_eq(source_name(a), "192.0.2.1");
	ck_assert_ptr_eq(source_of("::ffff:192.0.2.1"), a);
	ck_assert_uint_eq(source_count(source_of("192.0.2.2")), 0);

	b = source_of("2001:db8:1:2::1");
	source_add(b, &sb);
	ck_assert_str_eq(source_name(b), "2001:db8:1:2::/64");
	ck_assert_ptr_eq(source_of("2001:db8:1:2:ffff:ffff:ffff:ffff"), b);
	ck_assert_uint_eq(source_count(b), 1);
	ck_assert_uint_eq(source_count(source_of("2001:db8:1:3::1")), 0);
	ck_assert_str_eq(source_name(source_of("2001:db8:1:3::1")),
	    "2001:db8:1:3::/64");
	ck_assert_uint_eq(source_count(NULL), 0);
	source_remove(&sa, SOURCE_END_HELLO);
	source_remove(&sb, SOURCE_END_HELLO);
}
END_TEST

/* Counted while before Hello; 15 failures are forgiven, the 16th is
 * not; a hello_timeout costs ten; Hello costs nothing; the penalty stops
 * at 600. */
START_TEST(test_source_penalty)
{
	struct session	 s;
	struct source	*src;
	int64_t		 left;
	int		 i;

	src = source_of("198.51.100.7");
	for (i = 0; i < 15; i++) {
		memset(&s, 0, sizeof s);
		source_add(src, &s);
		ck_assert_uint_eq(source_count(src), 1);
		source_remove(&s, SOURCE_END_FAILED);
		ck_assert_uint_eq(source_count(src), 0);
		ck_assert_ptr_null(s.src);
	}
	ck_assert_int_eq(source_penalized(src), 0);
	memset(&s, 0, sizeof s);
	source_add(src, &s);
	source_remove(&s, SOURCE_END_FAILED);
	left = source_penalized(src);
	ck_assert_int_gt(left, 15000);
	ck_assert_int_le(left, 16000);

	src = source_of("198.51.100.8");
	for (i = 0; i < 1000; i++) {
		memset(&s, 0, sizeof s);
		source_add(src, &s);
		source_remove(&s, SOURCE_END_HELLO);
	}
	ck_assert_int_eq(source_penalized(src), 0);
	for (i = 0; i < 2; i++) {
		memset(&s, 0, sizeof s);
		source_add(src, &s);
		source_remove(&s, SOURCE_END_TIMEOUT);
	}
	left = source_penalized(src);
	ck_assert_int_gt(left, 19000);
	ck_assert_int_le(left, 20000);
	for (i = 0; i < 100; i++) {
		memset(&s, 0, sizeof s);
		source_add(src, &s);
		source_remove(&s, SOURCE_END_TIMEOUT);
	}
	left = source_penalized(src);
	ck_assert_int_gt(left, 599000);
	ck_assert_int_le(left, 600000);

	/* No penalties at all with source_penalty = 0. */
	conf.source_penalty_ms = 0;
	ck_assert_int_eq(source_penalized(src), 0);
}
END_TEST

/* 100,000 sources pass through a table of at most 16,384: the idle ones
 * are reused, one with a connection before Hello is kept. */
START_TEST(test_source_bounded)
{
	struct session	 s;
	struct source	*held;
	char		 addr[32];
	unsigned	 i;

	memset(&s, 0, sizeof s);
	held = source_of("203.0.113.1");
	source_add(held, &s);
	for (i = 0; i < 100000; i++) {
		snprintf(addr, sizeof addr, "10.%u.%u.%u", i >> 16,
		    (i >> 8) & 0xff, i & 0xff);
		ck_assert_ptr_nonnull(source_of(addr));
		ck_assert_uint_le(source_entries(), 16384);
	}
	ck_assert_ptr_eq(source_of("203.0.113.1"), held);
	ck_assert_uint_eq(source_count(held), 1);
	source_remove(&s, SOURCE_END_HELLO);
}
END_TEST

static Suite *
source_suite(void)
{
	Suite	*s = suite_create("source");
	TCase	*tc = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_source_keys);
	tcase_add_test(tc, test_source_penalty);
	tcase_add_test(tc, test_source_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(source_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
