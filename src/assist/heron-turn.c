/* heron-turn.c: placeholder until its implementation lands. */
#include <glib.h>
