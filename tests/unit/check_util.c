/*
 * check_util.c - unit tests of the small parsers shared by the daemon, the
 * library and the CLI: durations, signals, addresses, str_printf, UTF-8
 * and the walk over a message's fields.  The
 * PKI and TLS tests are in check_pki.c.
 */

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common.h"
#include "runnel.h"
#include "runneld.h"

/* --- parsers ---------------------------------------------------------- */

START_TEST(test_duration_good)
{
	uint64_t	ms;

	ck_assert_int_eq(parse_duration("250ms", &ms), 0);
	ck_assert_uint_eq(ms, 250);
	ck_assert_int_eq(parse_duration("5s", &ms), 0);
	ck_assert_uint_eq(ms, 5000);
	ck_assert_int_eq(parse_duration("2m", &ms), 0);
	ck_assert_uint_eq(ms, 120000);
	ck_assert_int_eq(parse_duration("1h", &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	ck_assert_int_eq(parse_duration("7d", &ms), 0);
	ck_assert_uint_eq(ms, 7ULL * 86400000);
	ck_assert_int_eq(parse_duration("1.5s", &ms), 0);
	ck_assert_uint_eq(ms, 1500);
	ck_assert_int_eq(parse_duration("0.25", &ms), 0);
	ck_assert_uint_eq(ms, 250);
	ck_assert_int_eq(parse_duration("1.5ms", &ms), 0);
	ck_assert_uint_eq(ms, 1);
	ck_assert_int_eq(parse_duration("7", &ms), 0);
	ck_assert_uint_eq(ms, 7000);
	ck_assert_int_eq(parse_duration("0", &ms), 0);
	ck_assert_uint_eq(ms, 0);
	ck_assert_int_eq(parse_duration("007s", &ms), 0);
	ck_assert_uint_eq(ms, 7000);
	ck_assert_int_eq(parse_duration("18446744073709551615ms", &ms), 0);
	ck_assert_uint_eq(ms, UINT64_MAX);
	ck_assert_int_eq(parse_duration("5124095576030h", &ms), 0);
	ck_assert_uint_eq(ms, 5124095576030ULL * 3600000);
}
END_TEST

START_TEST(test_duration_bad)
{
	static const char *const bad[] = {
		"", "5x", "-1", "+1", " 5s", "5s ", "s", "ms", "1.", ".5s",
		"5S", "5sec", "1m30s", "1..5s", "0x10", "5 s",
		"18446744073709551616ms",	/* overflows the digits */
		"18446744073709552s",		/* overflows the unit */
		"5124095576031h",
		"18446744073709551.616s",	/* overflows the fraction */
	};
	uint64_t	ms = 12345;
	size_t		i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(parse_duration(bad[i], &ms) == -1,
		    "\"%s\" accepted", bad[i]);
	}
	ck_assert_int_eq(parse_duration(NULL, &ms), -1);
	ck_assert_uint_eq(ms, 12345);
}
END_TEST

START_TEST(test_signal_parse)
{
	ck_assert_int_eq(parse_signal("TERM"), SIGTERM);
	ck_assert_int_eq(parse_signal("SIGTERM"), SIGTERM);
	ck_assert_int_eq(parse_signal("term"), SIGTERM);
	ck_assert_int_eq(parse_signal("sigterm"), SIGTERM);
	ck_assert_int_eq(parse_signal("15"), 15);
	ck_assert_int_eq(parse_signal("KILL"), 9);
	ck_assert_int_eq(parse_signal("9"), 9);
	ck_assert_int_eq(parse_signal("HUP"), 1);
	ck_assert_int_eq(parse_signal("INT"), SIGINT);
	ck_assert_int_eq(parse_signal("QUIT"), SIGQUIT);
	ck_assert_int_eq(parse_signal("USR1"), SIGUSR1);
	ck_assert_int_eq(parse_signal("SIGUSR2"), SIGUSR2);
	ck_assert_int_eq(parse_signal("CHLD"), SIGCHLD);
	ck_assert_int_eq(parse_signal("CONT"), SIGCONT);
	ck_assert_int_eq(parse_signal("STOP"), SIGSTOP);
	ck_assert_int_eq(parse_signal("TSTP"), SIGTSTP);
	ck_assert_int_eq(parse_signal("1"), 1);
	ck_assert_int_eq(parse_signal("64"), 64);
	ck_assert_int_eq(parse_signal("034"), 34);
}
END_TEST

START_TEST(test_signal_bad)
{
	static const char *const bad[] = {
		"", "0", "65", "-1", "+15", "SIG", "FOO", "SIGFOO", "15x",
		"1e3", " 15", "TERM ", "SIG15", "99999999999999999999",
	};
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(parse_signal(bad[i]) == -1, "\"%s\" accepted",
		    bad[i]);
	}
	ck_assert_int_eq(parse_signal(NULL), -1);
}
END_TEST

START_TEST(test_signal_name)
{
	static const int known[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGABRT, SIGFPE, SIGKILL,
		SIGSEGV, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD,
		SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU,
	};
	size_t	i;

	ck_assert_str_eq(signal_name(15), "SIGTERM");
	ck_assert_str_eq(signal_name(9), "SIGKILL");
	ck_assert_str_eq(signal_name(SIGCHLD), "SIGCHLD");
	ck_assert_str_eq(signal_name(SIGRTMIN), "SIGRT");
	ck_assert_str_eq(signal_name(SIGRTMAX), "SIGRT");
	ck_assert_str_eq(signal_name(0), "SIG?");
	ck_assert_str_eq(signal_name(-1), "SIG?");
	ck_assert_str_eq(signal_name(200), "SIG?");
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		ck_assert_int_eq(strncmp(signal_name(known[i]), "SIG", 3), 0);
		ck_assert_int_eq(parse_signal(signal_name(known[i])),
		    known[i]);
		ck_assert_int_eq(parse_signal(signal_name(known[i]) + 3),
		    known[i]);
	}
}
END_TEST

/* Parse s and check the parts, or that it is refused (h == NULL). */
static void
check_hostport(const char *s, const char *h, const char *p, int u)
{
	char	*host = (char *)&host, *port = (char *)&port;
	int	 is_unix = 42;

	if (h == NULL && u == 0) {
		ck_assert_msg(parse_hostport(s, &host, &port, &is_unix) == -1,
		    "\"%s\" accepted", s);
		ck_assert_ptr_null(host);
		ck_assert_ptr_null(port);
		return;
	}
	ck_assert_msg(parse_hostport(s, &host, &port, &is_unix) == 0,
	    "\"%s\" refused", s);
	ck_assert_str_eq(host, h);
	if (p == NULL)
		ck_assert_ptr_null(port);
	else
		ck_assert_str_eq(port, p);
	ck_assert_int_eq(is_unix, u);
	free(host);
	free(port);
}

START_TEST(test_hostport)
{
	check_hostport("example.org:80", "example.org", "80", 0);
	check_hostport("127.0.0.1:7433", "127.0.0.1", "7433", 0);
	check_hostport("127.0.0.1:0", "127.0.0.1", "0", 0);
	check_hostport("[::1]:7433", "::1", "7433", 0);
	check_hostport("[fe80::1%lo]:1", NULL, NULL, 0);
	check_hostport("[2001:db8::2]:65535", "2001:db8::2", "65535", 0);
	check_hostport("unix:/run/runnel/runneld.sock",
	    "/run/runnel/runneld.sock", NULL, 1);
	check_hostport("unix:rel/sock", "rel/sock", NULL, 1);
	/* No port: the default one. */
	check_hostport("localhost", "localhost", RUNNEL_DEFAULT_PORT, 0);
	check_hostport("[::1]", "::1", RUNNEL_DEFAULT_PORT, 0);
	check_hostport("::1", "::1", RUNNEL_DEFAULT_PORT, 0);
}
END_TEST

START_TEST(test_hostport_bad)
{
	static const char *const bad[] = {
		"", ":80", "host:", "host:abc", "host:65536", "host:-1",
		"host:100000", "[::1", "[::1]x", "[::1]:", "[]:80",
		"[notv6]:80", "[127.0.0.1]:80", "unix:", "a:b:c", "::1:x:80",
	};
	char	*host, *port;
	int	 is_unix;
	size_t	 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_hostport(bad[i], NULL, NULL, 0);
	ck_assert_int_eq(parse_hostport(NULL, &host, &port, &is_unix), -1);
	ck_assert_ptr_null(host);
	ck_assert_ptr_null(port);
	ck_assert_int_eq(is_unix, 0);
}
END_TEST

START_TEST(test_str_printf)
{
	char	*s;

	s = str_printf("%s-%d-%c", "task", 42, 'x');
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "task-42-x");
	free(s);
	s = str_printf("%s", "");
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/* UTF-8 by RFC 3629: what is refused and what passes. */
START_TEST(test_utf8_valid)
{
	static const struct {
		const char	*s;
		int		 ok;
	} cases[] = {
		{ "", 1 }, { "plain", 1 }, { "caf\xc3\xa9", 1 },
		{ "\xe2\x82\xac", 1 }, { "\xf0\x9f\x98\x80", 1 },
		{ "\xf4\x8f\xbf\xbf", 1 },		/* U+10FFFF */
		{ "\xff", 0 }, { "\x80", 0 }, { "\xc3", 0 },
		{ "\xc0\xaf", 0 }, { "\xc1\xbf", 0 },	/* overlong */
		{ "\xe0\x80\xaf", 0 }, { "\xf0\x80\x80\xaf", 0 },
		{ "\xed\xa0\x80", 0 }, { "\xed\xbf\xbf", 0 }, /* surrogates */
		{ "\xf4\x90\x80\x80", 0 },		/* past U+10FFFF */
		{ "\xf5\x80\x80\x80", 0 }, { "\xe2\x82", 0 },
		{ "ok\xe2\x28\xa1", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(utf8_valid(cases[i].s, strlen(cases[i].s)) ==
		    cases[i].ok, "case %zu", i);
}
END_TEST

/* Escaping keeps valid text and writes each bad byte (and NUL) as \xHH. */
START_TEST(test_utf8_escape)
{
	char	*s;

	s = utf8_escape("rel\xff", 4);
	ck_assert_str_eq(s, "rel\\xff");
	free(s);
	s = utf8_escape("caf\xc3\xa9\xc3", 6);
	ck_assert_str_eq(s, "caf\xc3\xa9\\xc3");
	free(s);
	s = utf8_escape("a\0b", 3);
	ck_assert_str_eq(s, "a\\x00b");
	free(s);
	s = utf8_escape("", 0);
	ck_assert_str_eq(s, "");
	ck_assert(utf8_valid(s, strlen(s)));
	free(s);
}
END_TEST

/* Collect the paths of the strings wire_walk visits. */
static int
walk_strings_cb(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, void *value, const char *path,
    void *arg)
{
	char	*out = arg;

	(void)md;
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		strcat(out, path);
		strcat(out, "=");
		strcat(out, *(char **)value);
		strcat(out, ";");
	}
	return strcmp(path, "submit.spec.key") == 0 &&
	    strcmp(*(char **)value, "k") == 0 ? 7 : 0;
}

/* The walk goes into sub-messages and repeated fields, names each value's
 * path, skips the members of a oneof that are not set, and stops on a
 * callback's non-zero. */
START_TEST(test_wire_walk)
{
	Runnel__V1__ClientMessage	 msg = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__SubmitRequest	 sub = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	Runnel__V1__TaskSpec		 spec = RUNNEL__V1__TASK_SPEC__INIT;
	Runnel__V1__Label		 l1 = RUNNEL__V1__LABEL__INIT;
	Runnel__V1__Label		 l2 = RUNNEL__V1__LABEL__INIT;
	Runnel__V1__Label		*labels[] = { &l1, &l2 };
	char				 out[1024] = "";

	l1.key = (char *)(uintptr_t)"a";
	l1.value = (char *)(uintptr_t)"1";
	l2.key = (char *)(uintptr_t)"b";
	l2.value = (char *)(uintptr_t)"2";
	spec.name = (char *)(uintptr_t)"n";
	spec.labels = labels;
	spec.n_labels = 2;
	spec.key = (char *)(uintptr_t)"k";
	sub.spec = &spec;
	msg.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
	msg.submit = &sub;
	ck_assert_int_eq(wire_walk(&msg.base, walk_strings_cb, out), 7);
	ck_assert_str_eq(out, "submit.spec.name=n;submit.spec.queue=;"
	    "submit.spec.key=k;");
	out[0] = '\0';
	spec.key = (char *)(uintptr_t)"";
	ck_assert_int_eq(wire_walk(&msg.base, walk_strings_cb, out), 0);
	ck_assert_str_eq(out, "submit.spec.name=n;submit.spec.queue=;"
	    "submit.spec.key=;submit.spec.labels[0].key=a;"
	    "submit.spec.labels[0].value=1;submit.spec.labels[1].key=b;"
	    "submit.spec.labels[1].value=2;");
}
END_TEST

/* Remember the path of the value "x". */
static int
walk_find_cb(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, void *value, const char *path,
    void *arg)
{
	(void)md;
	if (f->type == PROTOBUF_C_TYPE_STRING &&
	    strcmp(*(char **)value, "x") == 0) {
		strcpy(arg, path);
		return 1;
	}
	return 0;
}

/* Indexes of more than one digit are named whole. */
START_TEST(test_wire_walk_index)
{
	Runnel__V1__ClientMessage	 msg = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__SubmitRequest	 sub = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	Runnel__V1__TaskSpec		 spec = RUNNEL__V1__TASK_SPEC__INIT;
	Runnel__V1__Label		 l[120], *labels[120];
	char				 out[WIRE_PATH_MAX] = "";
	size_t				 i;

	for (i = 0; i < 120; i++) {
		runnel__v1__label__init(&l[i]);
		l[i].key = (char *)(uintptr_t)"k";
		labels[i] = &l[i];
	}
	l[107].value = (char *)(uintptr_t)"x";
	spec.labels = labels;
	spec.n_labels = 120;
	sub.spec = &spec;
	msg.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
	msg.submit = &sub;
	ck_assert_int_eq(wire_walk(&msg.base, walk_find_cb, out), 1);
	ck_assert_str_eq(out, "submit.spec.labels[107].value");
}
END_TEST

/* session_send() sends a string that is not UTF-8 escaped, and leaves
 * the message it was given (whose strings a task may own) as it was. */
START_TEST(test_session_send_escapes)
{
	struct event_base		*base = event_base_new();
	struct session			 s;
	Runnel__V1__ServerMessage	 msg = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__ServerMessage	*got;
	Runnel__V1__HelloReply		 hello = RUNNEL__V1__HELLO_REPLY__INIT;
	struct evbuffer			*out;
	char				 id[] = "unix:b\xe9" "b", ver[] = "1.0";
	uint8_t				*p;
	size_t				 len;

	ck_assert_ptr_nonnull(base);
	memset(&s, 0, sizeof s);
	s.bev = bufferevent_socket_new(base, -1, 0);
	ck_assert_ptr_nonnull(s.bev);
	hello.protocol_version = 1;
	hello.server_version = ver;
	hello.identity = id;
	msg.id = 1;
	msg.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_HELLO;
	msg.hello = &hello;
	session_send(&s, &msg);
	ck_assert_ptr_eq(hello.identity, id);
	ck_assert_str_eq(id, "unix:b\xe9" "b");
	ck_assert_ptr_eq(hello.server_version, ver);

	out = bufferevent_get_output(s.bev);
	len = evbuffer_get_length(out);
	ck_assert_uint_gt(len, FRAME_HEADER);
	p = evbuffer_pullup(out, -1);
	got = runnel__v1__server_message__unpack(NULL, len - FRAME_HEADER,
	    p + FRAME_HEADER);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got->hello->identity, "unix:b\\xe9b");
	ck_assert_str_eq(got->hello->server_version, "1.0");
	runnel__v1__server_message__free_unpacked(got, NULL);
	bufferevent_free(s.bev);
	event_base_free(base);
}
END_TEST

/* Build the suite. */
static Suite *
check_util_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("util");
	tc = tcase_create("parse");
	tcase_add_test(tc, test_duration_good);
	tcase_add_test(tc, test_duration_bad);
	tcase_add_test(tc, test_signal_parse);
	tcase_add_test(tc, test_signal_bad);
	tcase_add_test(tc, test_signal_name);
	tcase_add_test(tc, test_hostport);
	tcase_add_test(tc, test_hostport_bad);
	tcase_add_test(tc, test_str_printf);
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_utf8_escape);
	tcase_add_test(tc, test_wire_walk);
	tcase_add_test(tc, test_wire_walk_index);
	tcase_add_test(tc, test_session_send_escapes);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite in check's default fork mode (CK_FORK=no to debug). */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(check_util_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
