/*
 * select.c - which tasks a session may see or control (by role and
 * owner), and which a selector's queue and labels match: the rules the
 * request handlers and the following watches share.
 */
#include <string.h>

#include "runneld.h"

/* May the session see this task?  Admins and viewers see all, users their
 * own. */
int
select_may_see(const struct session *s, const struct task *t)
{
	if (s->role == ROLE_ADMIN || s->role == ROLE_VIEWER)
		return 1;
	return s->role == ROLE_USER && strcmp(t->owner, s->identity) == 0;
}

/* May the session cancel this task?  Admins all, users their own. */
int
select_may_control(const struct session *s, const struct task *t)
{
	if (s->role == ROLE_ADMIN)
		return 1;
	return s->role == ROLE_USER && strcmp(t->owner, s->identity) == 0;
}

/* Does a task carry every label of the selector and sit in its queue? */
int
select_match(const struct task *t, const Runnel__V1__Selector *sel)
{
	size_t	i, j;

	if (sel->queue[0] != '\0' && strcmp(sel->queue, t->queue->name) != 0)
		return 0;
	for (i = 0; i < sel->n_labels; i++) {
		for (j = 0; j < t->spec->n_labels; j++) {
			if (strcmp(sel->labels[i]->key,
			    t->spec->labels[j]->key) == 0 &&
			    strcmp(sel->labels[i]->value,
			    t->spec->labels[j]->value) == 0)
				break;
		}
		if (j == t->spec->n_labels)
			return 0;
	}
	return 1;
}
