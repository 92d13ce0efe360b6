/* heron-store.c: placeholder until its implementation lands. */
#include <glib.h>
