/*
 * main.c: the streamjob command.  It reads the script, runs it through
 * the front end (parse, check, plan), and decides what is printed and the
 * exit status; the library itself never prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"
#include "exitcode.h"
#include "inspect.h"
#include "options.h"
#include "term.h"
#include "lang/check.h"
#include "lang/diag.h"
#include "lang/plan.h"
#include "runtime/io/registry.h"
#include "runtime/io/source.h"
#include "runtime/job.h"
#include "runtime/report.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* Scripts are small; a larger file is surely not one. */
#define SCRIPT_MAX (16 * 1024 * 1024)

static int
usage_error(const char *msg)
{
	fprintf(stderr, "streamjob: %s\nTry 'streamjob --help' for more information.\n", msg);
	return EXIT_USAGE;
}

static int
read_script(const char *path, struct strbuf *sb)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "streamjob: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		strbuf_add(sb, buf, n);
		if (sb->len > SCRIPT_MAX) {
			fprintf(stderr, "streamjob: %s is larger than %d MiB; is it a script?\n",
			    path, SCRIPT_MAX >> 20);
			fclose(f);
			return -1;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "streamjob: cannot read %s: %s\n", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* Which of descriptors 0-2 were closed when the program started. */
static unsigned std_closed;

static const char *const std_names[] = {
	"standard input", "standard output", "standard error"
};

/*
 * Put /dev/null on each of descriptors 0-2 that is closed, as daemons and
 * coreutils do: otherwise the next file opened (a dead-letter file, a
 * socket, the event loop's own descriptor) would take its number, and
 * lines meant for standard output would go into it.  Which ones were
 * closed is remembered: a job that needs one fails at start.
 */
static void
std_reopen(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		std_closed |= 1u << fd;
		/* The lowest free descriptor: fd itself, as the ones below
		 * it are open by now. */
		nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd >= 0 && nfd != fd) {
			dup2(nfd, fd);
			close(nfd);
		}
	}
}

/* Is descriptor fd closed, though what was asked for needs it (what)?
 * Then say so. */
static int
std_missing(int fd, const char *what)
{
	if (!(std_closed & (1u << fd)))
		return 0;
	fprintf(stderr, "streamjob: %s is closed; %s needs it\n", std_names[fd], what);
	return 1;
}

/* Does the job read standard input or write standard output, which the
 * caller closed?  Each is reported once, at the first stage needing it. */
static int
std_needed(const struct plan *plan)
{
	int missing[2] = { 0, 0 };

	for (int i = 0; i < plan->nnodes; i++) {
		const struct node *n = plan->nodes[i];
		const struct source_desc *d = source_kind(n->stage->desc);
		int fd = d != NULL && (d->caps & SOURCE_READS_STDIN) ? 0 :
		    n->op == OP_STDOUT || n->op == OP_PRINT ? 1 : -1;
		char what[96];

		if (fd < 0 || missing[fd])
			continue;
		snprintf(what, sizeof what, "the %s %s (line %d)", n->stage->desc->name,
		    fd == 0 ? "source" : "sink", n->stage->span.first_line);
		missing[fd] = std_missing(fd, what);
	}
	return missing[0] || missing[1];
}

static int
not_yet(const char *what)
{
	fprintf(stderr, "streamjob: %s is not available in this version yet\n", what);
	return EXIT_USAGE;
}

/* The exit status of a job's result (exitcode.h). */
static int
exit_status(enum job_result r)
{
	switch (r) {
	case JOB_OK:
		return EXIT_OK;
	case JOB_UNSUPPORTED:
		return EXIT_USAGE;	/* a part not built yet: the script cannot run */
	case JOB_REFUSED:
		return EXIT_USAGE;	/* the checkpoint is of another script */
	case JOB_FAILED:
		break;
	}
	return EXIT_RUNTIME;
}

/*
 * guarantee exactly-once and a stdin that cannot replay (a pipe, a
 * terminal): the refusal printed, and 1.
 */
static int
stdin_refused(const struct plan *plan, struct diags *d)
{
	struct stat st;
	int regular = fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode);
	char *msg;

	if (check_guarantee_stdin(plan, regular, d) == 0)
		return 0;
	msg = diags_format(d);
	fputs(msg, stderr);
	free(msg);
	return 1;
}

/* The script's text (-e PROGRAM, or the SCRIPT file) into text, and its
 * name for messages; *name NULL when there is none.  -1 when the file
 * cannot be read (said). */
static int
script_text(const struct options *o, struct strbuf *text, const char **name)
{
	*name = NULL;
	if (o->eval != NULL) {
		strbuf_adds(text, o->eval);
		*name = "<eval>";
	} else if (o->script != NULL) {
		if (read_script(o->script, text) != 0)
			return -1;
		*name = o->script;
	}
	return 0;
}

/* What the command line says about how the script runs. */
static void
job_options_of(const struct options *o, struct job_options *jo)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(jo, 0, sizeof *jo);
	jo->batch_ms = o->batch_ms;
	jo->checkpoint = o->checkpoint;
	jo->parallelism = o->parallelism;
	jo->once = o->once;
	jo->quiet = o->quiet;
	jo->ncpus = ncpus > 0 ? (int)ncpus : 1;
	jo->params = o->params;
	jo->nparams = o->nparams;
}

/* --inspect DIR [SCRIPT | -e PROGRAM] [--json] */
static int
inspect(struct options *o)
{
	struct strbuf text = STRBUF_INIT;
	struct job_options jo;
	const char *name;
	int status;

	if (script_text(o, &text, &name) != 0)
		return EXIT_USAGE;
	job_options_of(o, &jo);
	jo.checkpoint = o->inspect;	/* the script is checked as run with -c DIR */
	if (std_missing(STDOUT_FILENO, "--inspect"))
		status = EXIT_RUNTIME;
	else
		status = inspect_run(o->inspect, name, name != NULL ? strbuf_str(&text) : NULL,
		    text.len, &jo, o->json);
	strbuf_release(&text);
	return status;
}

static int
run(struct options *o)
{
	struct strbuf text = STRBUF_INIT;
	struct job_options jo;
	struct diags *d;
	struct plan *plan;
	const char *name;
	int status = EXIT_OK;

	/* options_parse made sure there is -e PROGRAM or a SCRIPT */
	if (script_text(o, &text, &name) != 0)
		return EXIT_USAGE;
	job_options_of(o, &jo);

	d = diags_new(name, strbuf_str(&text), text.len);
	plan = plan_compile(strbuf_str(&text), text.len, &jo, d);
	if (plan == NULL) {
		char *msg = diags_format(d);
		fputs(msg, stderr);
		free(msg);
		status = EXIT_USAGE;
	} else if (o->check) {
		status = EXIT_OK;
	} else if (o->explain != EXPLAIN_NONE) {
		char *out = o->explain == EXPLAIN_DOT ? plan_explain_dot(plan) :
		    plan_explain_text(plan);
		if (std_missing(STDOUT_FILENO, "--explain"))
			status = EXIT_RUNTIME;
		else
			fputs(out, stdout);
		free(out);
		if (fflush(stdout) != 0 && errno != EPIPE)
			status = EXIT_RUNTIME;
	} else if (o->http != NULL) {
		status = not_yet("--http (the dashboard)");
	} else if (stdin_refused(plan, d)) {
		status = EXIT_USAGE;
	} else if (o->fresh && plan->settings.checkpoint == NULL) {
		status = usage_error("--fresh discards a checkpoint, and this job keeps none (add checkpoint \"DIR\" or -c DIR)");
	} else if (std_needed(plan)) {
		status = EXIT_RUNTIME;
	} else {
		struct run_options ro = { 0 };
		struct reporter rep = { term_report, term_stdout_begin, term_stdout_end, NULL };
		ro.status = term_start(o->quiet, !o->quiet);
		ro.max_batches = o->batches;
		ro.duration_ms = o->duration_ms;
		ro.script = strbuf_str(&text);
		ro.script_name = name;
		ro.fresh = o->fresh;
		status = exit_status(job_run(plan, &jo, &ro, &rep));
		term_end();
	}
	plan_free(plan);
	diags_free(d);
	strbuf_release(&text);
	return status;
}

int
main(int argc, char **argv)
{
	struct options o;
	char *err;
	int status;

	xmalloc_set_oom_hook(term_out_of_memory);
	std_reopen();
	if (options_parse(argc, argv, &o, &err) != 0) {
		status = usage_error(err);
		free(err);
		options_free(&o);
		return status;
	}
	if ((o.help || o.version) && std_missing(STDOUT_FILENO, o.help ? "--help" : "--version")) {
		status = EXIT_RUNTIME;
	} else if (o.help) {
		fputs(options_usage(), stdout);
		status = EXIT_OK;
	} else if (o.version) {
		printf("streamjob %s\n", PACKAGE_VERSION);
		status = EXIT_OK;
	} else if (o.inspect != NULL) {
		status = inspect(&o);
	} else
		status = run(&o);
	options_free(&o);
	return status;
}
