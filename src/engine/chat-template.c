/* chat-template.c: placeholder until its implementation lands. */
#include "quants.h"
