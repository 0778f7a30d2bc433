/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 'run' waits for its command like env or 'systemd-run --scope' would be
 * waited for: signals sent to cpuidctl reach the command once. Pure (no
 * module, no cgroup): unit-tested with a pseudo-terminal in
 * tests/unit/test_supervise.c.
 */
#ifndef CPUIDCTL_SUPERVISE_H
#define CPUIDCTL_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* The signals 'run' passes on to its command. */
#define SUPERVISE_SIGNALS { SIGINT, SIGTERM, SIGHUP, SIGQUIT }

/*
 * Should a signal that reached cpuidctl be passed on to the command? Not
 * SIGINT or SIGQUIT from the terminal (si_code SI_KERNEL): the terminal
 * sends them to its whole foreground process group, which the command
 * shares with cpuidctl, so the command has its own copy already.
 */
bool supervise_should_forward(int sig, int si_code);

/* Install the forwarding handlers; signals reach @pid once it is set. */
void supervise_begin(void);
/* Handlers back to default, for the child before exec. */
void supervise_child(void);
/*
 * Forward to @pid and wait for it: its exit status as a shell reports it
 * (128+N if killed by signal N); -1 with errno if waitpid() fails.
 */
int supervise_wait(pid_t pid);

#endif
