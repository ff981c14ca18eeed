/*
 * options.c: getopt_long over SPEC section 3.  Values are validated here
 * (a duration for -b, a count for -j, a number in range for NAME=VALUE)
 * so a bad one is a usage error before any script is read.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "stdlib/number.h"
#include "stdlib/xmalloc.h"

enum {
	OPT_ONCE = 256, OPT_BATCHES, OPT_DURATION, OPT_CHECK, OPT_EXPLAIN,
	OPT_HTTP, OPT_FRESH, OPT_INSPECT, OPT_JSON,
};

static const struct option long_options[] = {
	{ "eval", required_argument, NULL, 'e' },
	{ "batch", required_argument, NULL, 'b' },
	{ "checkpoint", required_argument, NULL, 'c' },
	{ "parallelism", required_argument, NULL, 'j' },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "batches", required_argument, NULL, OPT_BATCHES },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "explain", optional_argument, NULL, OPT_EXPLAIN },
	{ "http", required_argument, NULL, OPT_HTTP },
	{ "fresh", no_argument, NULL, OPT_FRESH },
	{ "inspect", required_argument, NULL, OPT_INSPECT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

const char *
options_usage(void)
{
	return
	    "Usage: streamjob [OPTIONS] SCRIPT [NAME=VALUE ...]\n"
	    "       streamjob [OPTIONS] -e PROGRAM [NAME=VALUE ...]\n"
	    "Run a streaming job described by a pipeline script, in micro-batches.\n"
	    "\n"
	    "  -e, --eval PROGRAM       the script is PROGRAM's text (several -e: its lines)\n"
	    "  -b, --batch DUR          override the batch interval (e.g. 2s)\n"
	    "  -c, --checkpoint DIR     override the checkpoint directory\n"
	    "  -j, --parallelism N      override the number of worker threads\n"
	    "      --once               read what the sources hold now as one batch, then exit\n"
	    "      --batches N          stop gracefully after N batches\n"
	    "      --duration DUR       stop gracefully after DUR\n"
	    "      --check              parse and check only; silent when the script is fine\n"
	    "      --explain[=text|dot] print the operator DAG (Graphviz with =dot) and exit\n"
	    "      --http ADDR          serve metrics and a dashboard on ADDR\n"
	    "      --fresh              discard the checkpoint directory's contents first\n"
	    "      --inspect DIR [SCRIPT]\n"
	    "                           print what the checkpoint in DIR holds (and whether\n"
	    "                           SCRIPT's stateful stages match it), and exit\n"
	    "      --json               with --inspect: as JSON\n"
	    "  -q, --quiet              no progress line, no warnings\n"
	    "  -h, --help               show this help\n"
	    "  -V, --version            show the version\n"
	    "\n"
	    "NAME=VALUE after the script sets $NAME in it.\n"
	    "Exit status: 0 when the job ended, 1 when it failed, 2 for a usage or script error.\n";
}

static int
parse_count(const char *s, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
valid_param_name(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * A value that reads as a number must be one a script could write as a
 * literal: a NAME=VALUE is not clamped or turned into inf where the same
 * text in the script would be an error.  NULL, or the message.
 */
static char *
param_check(const char *arg, const char *eq)
{
	const char *value = eq + 1;
	struct number num;

	if (number_read(value, strlen(value), &num) == NUMBER_NONE || !num.range)
		return NULL;
	if (num.kind == NUMBER_FLOAT && isinf(num.d))
		return xasprintf("parameter '%.*s': number %s is too large",
		    (int)(eq - arg), arg, value);
	return xasprintf("parameter '%.*s': integer %s does not fit in 64 bits",
	    (int)(eq - arg), arg, value);
}

int
options_parse(int argc, char **argv, struct options *o, char **err)
{
	int c, i;

	memset(o, 0, sizeof *o);
	*err = NULL;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":e:b:c:j:qhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (o->eval == NULL) {
				o->eval = xstrdup(optarg);
			} else {
				char *both = xasprintf("%s\n%s", o->eval, optarg);
				free(o->eval);
				o->eval = both;
			}
			break;
		case 'b':
			if (number_parse_duration(optarg, &o->batch_ms) != 0 || o->batch_ms <= 0) {
				*err = xasprintf("--batch needs a duration such as 2s or 500ms, not '%s'", optarg);
				return -1;
			}
			break;
		case 'c':
			o->checkpoint = optarg;
			break;
		case 'j':
			if (parse_count(optarg, 1024, &o->parallelism) != 0) {
				*err = xasprintf("--parallelism needs a number from 1 to 1024, not '%s'", optarg);
				return -1;
			}
			break;
		case OPT_ONCE:
			o->once = 1;
			break;
		case OPT_BATCHES:
			if (parse_count(optarg, INT64_MAX, &o->batches) != 0) {
				*err = xasprintf("--batches needs a number of at least 1, not '%s'", optarg);
				return -1;
			}
			break;
		case OPT_DURATION:
			if (number_parse_duration(optarg, &o->duration_ms) != 0 || o->duration_ms <= 0) {
				*err = xasprintf("--duration needs a duration such as 10s, not '%s'", optarg);
				return -1;
			}
			break;
		case OPT_CHECK:
			o->check = 1;
			break;
		case OPT_EXPLAIN:
			if (optarg == NULL || strcmp(optarg, "text") == 0)
				o->explain = EXPLAIN_TEXT;
			else if (strcmp(optarg, "dot") == 0)
				o->explain = EXPLAIN_DOT;
			else {
				*err = xasprintf("--explain takes text or dot, not '%s'", optarg);
				return -1;
			}
			break;
		case OPT_HTTP:
			o->http = optarg;
			break;
		case OPT_FRESH:
			o->fresh = 1;
			break;
		case OPT_INSPECT:
			o->inspect = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			o->help = 1;
			return 0;
		case 'V':
			o->version = 1;
			return 0;
		case ':':
			if (optopt >= 256 || optopt == 0)
				*err = xasprintf("option '%s' needs a value", argv[optind - 1]);
			else
				*err = xasprintf("option '-%c' needs a value", optopt);
			return -1;
		default:
			if (optopt >= 256 || optopt == 0)
				*err = xasprintf("unknown option '%s'", argv[optind - 1]);
			else
				*err = xasprintf("unknown option '-%c'", optopt);
			return -1;
		}
	}
	if (o->check && o->explain != EXPLAIN_NONE) {
		*err = xasprintf("--check and --explain cannot be used together");
		return -1;
	}
	if (o->json && o->inspect == NULL) {
		*err = xasprintf("--json goes with --inspect DIR");
		return -1;
	}
	i = optind;
	if (o->inspect != NULL) {
		/* --inspect DIR [SCRIPT [NAME=VALUE ...]] */
		if (o->eval == NULL && i < argc && strchr(argv[i], '=') == NULL)
			o->script = argv[i++];
	} else if (o->eval == NULL) {
		if (i >= argc) {
			*err = xasprintf("no script given: name a SCRIPT file, or use -e PROGRAM");
			return -1;
		}
		o->script = argv[i++];
	}
	o->params = xcalloc((size_t)(argc - i) + 1, sizeof *o->params);
	for (; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (eq == NULL || !valid_param_name(argv[i], (size_t)(eq - argv[i]))) {
			*err = xasprintf(o->eval != NULL && eq == NULL ?
			    "unexpected argument '%s': with -e, arguments are NAME=VALUE" :
			    "unexpected argument '%s': arguments after the script are NAME=VALUE", argv[i]);
			return -1;
		}
		for (int j = 0; j < o->nparams; j++)
			if (strncmp(o->params[j].name, argv[i], (size_t)(eq - argv[i])) == 0 &&
			    o->params[j].name[eq - argv[i]] == '\0') {
				*err = xasprintf("parameter '%.*s' is given twice", (int)(eq - argv[i]), argv[i]);
				return -1;
			}
		if ((*err = param_check(argv[i], eq)) != NULL)
			return -1;
		o->params[o->nparams].name = xstrndup(argv[i], (size_t)(eq - argv[i]));
		o->params[o->nparams].value = eq + 1;
		o->nparams++;
	}
	return 0;
}

void
options_free(struct options *o)
{
	free(o->eval);
	o->eval = NULL;
	for (int i = 0; i < o->nparams; i++)
		free((char *)o->params[i].name);
	free(o->params);
	o->params = NULL;
	o->nparams = 0;
}
