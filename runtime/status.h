/*
 * status.h: the one-line status a job keeps on stderr when stderr is a
 * terminal (batch time, rate, processing time, delay, state size).
 *
 * The line has no newline: each draw replaces it.  Whatever else goes to
 * that terminal -- messages on stderr, and standard output's lines when
 * standard output is the same terminal -- is written between
 * status_hide() and status_show(), which erase the line first and draw
 * it again after, as pv and curl do, so no line of output ever starts
 * after the status text.  There is one terminal per process, so there is
 * one status line: the module's state is process-wide, behind a mutex.
 */
#ifndef STATUS_H
#define STATUS_H

/* Before any thread uses the line: turn it on if wanted (no -q) and
 * stderr is a terminal. */
void status_start(int wanted);
/* Replace the line's text with text (one line, no newline) and draw it. */
void status_draw(const char *text);
/* Before writing to fd (1 or 2): erase the line if it is on the terminal
 * fd writes to.  Each status_hide(fd) is followed by one status_show(fd),
 * which draws the line again; nothing else may draw in between. */
void status_hide(int fd);
void status_show(int fd);
/* The job is over: the last line stays on the screen, ended by a
 * newline, and is not drawn again. */
void status_end(void);

#endif
