// SPDX-License-Identifier: GPL-2.0
/*
 * Signal forwarding and waiting for 'run' (see supervise.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include "supervise.h"

static const int fwd[] = SUPERVISE_SIGNALS;
static volatile pid_t child_pid;

bool supervise_should_forward(int sig, int si_code)
{
	return !(si_code == SI_KERNEL && (sig == SIGINT || sig == SIGQUIT));
}

static void forward_signal(int sig, siginfo_t *si, void *ctx __attribute__((unused)))
{
	if (child_pid > 0 && supervise_should_forward(sig, si->si_code))
		kill(child_pid, sig);
}

static void fwd_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaddset(set, fwd[i]);
}

/*
 * The signals stay blocked until supervise_wait() knows the child: one
 * that comes while the child starts is held, not lost.
 */
void supervise_begin(void)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	for (i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaction(fwd[i], &sa, NULL);
	fwd_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

void supervise_child(void)
{
	sigset_t set;
	size_t i;

	for (i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		signal(fwd[i], SIG_DFL);
	fwd_set(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int supervise_wait(pid_t pid)
{
	sigset_t set;
	int status;

	child_pid = pid;
	fwd_set(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			child_pid = 0;
			return -1;
		}
	}
	child_pid = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
