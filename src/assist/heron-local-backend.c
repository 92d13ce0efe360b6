/* heron-local-backend.c: the engine behind HeronBackend, on one owner thread per model.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "heron-local-backend.h"
#include "heron-models.h"
#include "chat-template.h"
#include "model.h"
#include "sampler.h"
#include "think.h"

typedef enum { JOB_LOAD, JOB_CHAT, JOB_QUIT } JobKind;

/* Text streamed from the owner thread to the caller's main context. One idle at a time
 * carries everything produced since the previous one, so a fast model is coalesced to one
 * delivery per main-loop iteration; the end is delivered after the last text. */
typedef struct
{
  gint            ref_count;
  GMutex          lock;
  GString        *content;
  GString        *reasoning;
  gboolean        idle_pending;
  gboolean        done;
  HeronChatStats *stats;       /* result, when done without error */
  GError         *error;
  GMainContext   *context;
  GTask          *task;        /* main-context side only */
  HeronDeltaFunc  delta_func;
  gpointer        delta_data;
} Stream;

typedef struct
{
  JobKind           kind;
  GTask            *task;      /* JOB_LOAD: returned from the owner thread */
  HeronChatRequest *request;   /* JOB_CHAT */
  Stream           *stream;
  GCancellable     *cancellable;
  struct _Progress *progress;  /* JOB_LOAD */
} Job;

/* Load progress handed from the owner thread to the main context of the load's caller:
 * one idle at a time carries the latest fraction. BACKEND is a weak reference, so a
 * backend dropped during its load is not kept alive by its progress. */
typedef struct _Progress
{
  gint          ref_count;
  GMutex        lock;
  double        fraction;
  gboolean      idle_pending;
  GMainContext *context;
  GWeakRef      backend;
  double        hold_at;     /* tests: wait at this fraction until cancelled (> 1: never) */
} Progress;

/* Owner-thread state; shared with the GObject only through the queue. */
typedef struct
{
  gint          ref_count;
  GAsyncQueue  *queue;
  GThread      *thread;
  char         *path;
  char         *name;
  int           n_ctx;
  int           n_threads;
  hr_model     *model;
  hr_context   *ctx;
  GError       *load_error;  /* set when the load failed */
  gboolean      loaded;      /* a load was attempted */
  gint          ctx_size;    /* the context size chats get, once loaded (atomic) */
} Owner;

struct _HeronLocalBackend
{
  GObject  parent_instance;
  Owner   *owner;
  double   load_progress;
};

enum { PROP_0, PROP_LOAD_PROGRESS, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void backend_iface_init (HeronBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HeronLocalBackend, heron_local_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HERON_TYPE_BACKEND, backend_iface_init))

/* ---- stream ---------------------------------------------------------------------------- */

static Stream *
stream_ref (Stream *s)
{
  g_atomic_int_inc (&s->ref_count);
  return s;
}

static void
stream_unref (gpointer data)
{
  Stream *s = data;

  if (!g_atomic_int_dec_and_test (&s->ref_count))
    return;
  g_mutex_clear (&s->lock);
  g_string_free (s->content, TRUE);
  g_string_free (s->reasoning, TRUE);
  heron_chat_stats_free (s->stats);
  g_clear_error (&s->error);
  g_main_context_unref (s->context);
  g_clear_object (&s->task);
  g_free (s);
}

static gboolean
stream_dispatch (gpointer data)
{
  Stream *s = data;
  g_autofree char *content = NULL;
  g_autofree char *reasoning = NULL;
  gboolean done;
  HeronChatStats *stats;
  GError *error;
  GTask *task;

  g_mutex_lock (&s->lock);
  s->idle_pending = FALSE;
  if (s->content->len)
    content = g_strdup (s->content->str);
  if (s->reasoning->len)
    reasoning = g_strdup (s->reasoning->str);
  g_string_truncate (s->content, 0);
  g_string_truncate (s->reasoning, 0);
  done = s->done && s->task != NULL;
  stats = done ? g_steal_pointer (&s->stats) : NULL;
  error = done ? g_steal_pointer (&s->error) : NULL;
  task = done ? g_steal_pointer (&s->task) : NULL;
  g_mutex_unlock (&s->lock);

  if ((content || reasoning) && s->delta_func)
    s->delta_func (content, reasoning, s->delta_data);
  if (task)
    {
      if (error)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, stats, (GDestroyNotify) heron_chat_stats_free);
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

/* Called with s->lock held. */
static void
stream_schedule_locked (Stream *s)
{
  GSource *idle;

  if (s->idle_pending)
    return;
  s->idle_pending = TRUE;
  idle = g_idle_source_new ();
  g_source_set_priority (idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (idle, stream_dispatch, stream_ref (s), stream_unref);
  g_source_attach (idle, s->context);
  g_source_unref (idle);
}

static void
stream_push (hr_think_kind kind, const char *text, size_t len, void *ud)
{
  Stream *s = ud;

  if (len == 0)
    return;
  g_mutex_lock (&s->lock);
  g_string_append_len (kind == HR_THINK_REASONING ? s->reasoning : s->content, text, len);
  stream_schedule_locked (s);
  g_mutex_unlock (&s->lock);
}

static void
stream_end (Stream *s, HeronChatStats *stats, GError *error)
{
  g_mutex_lock (&s->lock);
  s->done = TRUE;
  s->stats = stats;
  s->error = error;
  stream_schedule_locked (s);
  g_mutex_unlock (&s->lock);
}

/* ---- load progress --------------------------------------------------------------------- */

static Progress *
progress_ref (Progress *p)
{
  g_atomic_int_inc (&p->ref_count);
  return p;
}

static void
progress_unref (gpointer data)
{
  Progress *p = data;

  if (!g_atomic_int_dec_and_test (&p->ref_count))
    return;
  g_mutex_clear (&p->lock);
  g_main_context_unref (p->context);
  g_weak_ref_clear (&p->backend);
  g_free (p);
}

static gboolean
progress_dispatch (gpointer data)
{
  Progress *p = data;
  g_autoptr(HeronLocalBackend) self = g_weak_ref_get (&p->backend);
  double fraction;

  g_mutex_lock (&p->lock);
  p->idle_pending = FALSE;
  fraction = p->fraction;
  g_mutex_unlock (&p->lock);
  if (self != NULL && self->load_progress != fraction)
    {
      self->load_progress = fraction;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOAD_PROGRESS]);
    }
  return G_SOURCE_REMOVE;
}

static void
progress_push (Progress *p, double fraction)
{
  GSource *idle;

  g_mutex_lock (&p->lock);
  p->fraction = fraction;
  if (!p->idle_pending)
    {
      p->idle_pending = TRUE;
      idle = g_idle_source_new ();
      g_source_set_priority (idle, G_PRIORITY_DEFAULT);
      g_source_set_callback (idle, progress_dispatch, progress_ref (p), progress_unref);
      g_source_attach (idle, p->context);
      g_source_unref (idle);
    }
  g_mutex_unlock (&p->lock);
}

typedef struct
{
  GCancellable *cancellable;
  Progress     *progress;
} LoadHook;

static void
hold_cancelled (GCancellable *cancellable, gpointer data)
{
  GCond *cond = data;

  /* g_cancellable_connect runs this under no lock of ours; the waiter re-checks. */
  g_cond_broadcast (cond);
}

/* Tests: stay at this point of the load until the load is cancelled. */
static void
hold_until_cancelled (GCancellable *cancellable)
{
  GMutex lock;
  GCond cond;
  gulong id;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  id = g_cancellable_connect (cancellable, G_CALLBACK (hold_cancelled), &cond, NULL);
  g_mutex_lock (&lock);
  while (!g_cancellable_is_cancelled (cancellable))
    g_cond_wait_until (&cond, &lock, g_get_monotonic_time () + G_TIME_SPAN_MILLISECOND * 50);
  g_mutex_unlock (&lock);
  g_cancellable_disconnect (cancellable, id);
  g_cond_clear (&cond);
  g_mutex_clear (&lock);
}

/* ---- owner thread ---------------------------------------------------------------------- */

static Owner *
owner_ref (Owner *o)
{
  g_atomic_int_inc (&o->ref_count);
  return o;
}

static void
owner_unref (Owner *o)
{
  if (!g_atomic_int_dec_and_test (&o->ref_count))
    return;
  if (o->ctx)
    hr_context_free (o->ctx);
  if (o->model)
    hr_model_free (o->model);
  g_clear_error (&o->load_error);
  g_async_queue_unref (o->queue);
  g_free (o->path);
  g_free (o->name);
  g_free (o);
}

static void
job_free (Job *job)
{
  if (job->progress)
    progress_unref (job->progress);
  g_clear_object (&job->task);
  heron_chat_request_free (job->request);
  if (job->stream)
    stream_unref (job->stream);
  g_clear_object (&job->cancellable);
  g_free (job);
}

static bool
load_progress (float fraction, void *ud)
{
  LoadHook *hook = ud;

  if (hook->progress != NULL)
    {
      progress_push (hook->progress, fraction);
      if (hook->cancellable != NULL && fraction >= hook->progress->hold_at)
        {
          hook->progress->hold_at = G_MAXDOUBLE;
          hold_until_cancelled (hook->cancellable);
        }
    }
  return !g_cancellable_is_cancelled (hook->cancellable);
}

static void
owner_load (Owner *o, GCancellable *cancellable, Progress *progress)
{
  hr_model_params mp;
  LoadHook hook = { cancellable, progress };
  char err[512] = "";

  if (o->loaded)
    return;
  o->loaded = TRUE;
  hr_model_params_default (&mp);
  mp.n_threads = o->n_threads;
  mp.progress = load_progress;
  mp.progress_ud = &hook;
  o->model = hr_model_load (o->path, &mp, err, sizeof err);
  if (o->model != NULL)
    g_atomic_int_set (&o->ctx_size, o->n_ctx > 0 ? o->n_ctx
                                                 : MIN (hr_model_n_ctx_train (o->model), 4096));
  if (o->model == NULL)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          /* A cancelled load may be tried again. */
          o->loaded = FALSE;
          return;
        }
      o->load_error = heron_models_load_error (o->path, err);
    }
}

static gboolean
ensure_context (Owner *o, GError **error)
{
  hr_context_params cp;
  char err[512] = "";

  if (o->ctx)
    return TRUE;
  hr_context_params_default (&cp);
  cp.n_ctx = g_atomic_int_get (&o->ctx_size);
  cp.n_threads = o->n_threads;
  cp.on_full = HR_CTX_FULL_ERROR;
  o->ctx = hr_context_new (o->model, &cp, err, sizeof err);
  if (o->ctx == NULL)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_MODEL,
                   _("Could not create a context for %s: %s"), o->name, err);
      return FALSE;
    }
  return TRUE;
}

static hr_token *
tokenize_prompt (Owner *o, hr_chat_family family, const HeronChatRequest *req, guint start,
                 int32_t *n_out, GError **error)
{
  const hr_vocab *vocab = hr_model_vocab (o->model);
  g_autofree hr_chat_msg *msgs = g_new0 (hr_chat_msg, req->messages->len);
  hr_chat_options opts = { true, req->params.enable_thinking };
  char *text;
  hr_token *tokens;
  int32_t n;
  size_t n_msgs = 0;

  /* System messages always; the others from START on. */
  for (guint i = 0; i < req->messages->len; i++)
    {
      HeronChatMessage *m = &g_array_index (req->messages, HeronChatMessage, i);

      if (m->role != HERON_ROLE_SYSTEM && i < start)
        continue;
      msgs[n_msgs].role = heron_role_to_string (m->role);
      msgs[n_msgs].content = m->content;
      n_msgs++;
    }
  text = hr_chat_format_ex (family, msgs, n_msgs, &opts);
  if (text == NULL)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                   _("Could not format the conversation for %s."), o->name);
      return NULL;
    }
  n = hr_chat_tokenize (vocab, family, text, NULL, 0);
  tokens = n > 0 ? g_new (hr_token, n) : NULL;
  if (n <= 0 || hr_chat_tokenize (vocab, family, text, tokens, n) != n)
    {
      free (text);
      g_free (tokens);
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_FAILED,
                   _("Could not tokenize the conversation for %s."), o->name);
      return NULL;
    }
  free (text);
  *n_out = n;
  return tokens;
}

static void
cancel_context (GCancellable *cancellable, gpointer data)
{
  hr_context_cancel (data);
}

static void
set_sampler_params (hr_sampler_params *sp, const HeronSamplingParams *p)
{
  hr_sampler_params_default (sp);
  if (p->temperature >= 0)
    sp->temp = p->temperature;
  if (p->top_k >= 0)
    sp->top_k = p->top_k;
  if (p->top_p >= 0)
    sp->top_p = p->top_p;
  if (p->min_p >= 0)
    sp->min_p = p->min_p;
  if (p->repeat_penalty >= 0)
    sp->repeat_penalty = p->repeat_penalty;
  sp->seed = p->seed == G_MAXUINT64 ? HR_SEED_RANDOM : p->seed;
}

static void
free_generation (hr_think *think, hr_detok *detok, hr_sampler *sampler)
{
  if (think)
    hr_think_free (think);
  if (detok)
    hr_detok_free (detok);
  if (sampler)
    hr_sampler_free (sampler);
}

/* Generate; returns the stats, or NULL with ERROR. */
static HeronChatStats *
owner_chat (Owner *o, Job *job, GError **error)
{
  const HeronChatRequest *req = job->request;
  g_autoptr(HeronChatStats) stats = g_new0 (HeronChatStats, 1);
  const hr_vocab *vocab;
  hr_chat_family family;
  g_autofree hr_token *tokens = NULL;
  hr_sampler_params sp;
  hr_sampler *sampler = NULL;
  hr_detok *detok = NULL;
  hr_think *think = NULL;
  int32_t n = 0, prefix, n_ctx, limit;
  gint64 t0 = g_get_monotonic_time (), t_prompt, t_first = 0;
  gulong cancel_id = 0;
  char err[512] = "", piece[256];
  int rc;

  if (o->load_error)
    {
      g_propagate_error (error, g_error_copy (o->load_error));
      return NULL;
    }
  if (o->model == NULL)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_NO_MODEL,
                   _("The model %s is not loaded."), o->path);
      return NULL;
    }
  if (!ensure_context (o, error))
    return NULL;
  vocab = hr_model_vocab (o->model);
  family = hr_chat_detect (hr_model_chat_template (o->model));
  n_ctx = hr_context_n_ctx (o->ctx);
  /* A conversation longer than the context loses its oldest turns (system prompt and the
   * question kept), leaving room for an answer. */
  for (guint start = 0;;)
    {
      guint len = req->messages->len, next = start;

      tokens = tokenize_prompt (o, family, req, start, &n, error);
      if (tokens == NULL)
        return NULL;
      if (n <= n_ctx - MIN (512, n_ctx / 4))
        break;
      while (next < len && g_array_index (req->messages, HeronChatMessage, next).role
                           == HERON_ROLE_SYSTEM)
        next++;
      if (next + 1 >= len)
        break;
      /* Drop one message, and the answers after it, so the history starts with a user. */
      start = next + 1;
      while (start + 1 < len && g_array_index (req->messages, HeronChatMessage, start).role
                                != HERON_ROLE_USER)
        start++;
      g_clear_pointer (&tokens, g_free);
    }
  if (n >= n_ctx)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_TOO_LONG,
                   _("The conversation (%d tokens) does not fit the model's context of %d "
                     "tokens. Start a new conversation or shorten the question."), n, n_ctx);
      return NULL;
    }

  stats->model = g_strdup (o->name);
  stats->prompt_tokens = n;
  hr_context_reset_cancel (o->ctx);
  if (job->cancellable)
    cancel_id = g_cancellable_connect (job->cancellable, G_CALLBACK (cancel_context), o->ctx,
                                       NULL);

  /* Reuse the cached prefix; at least the last prompt token is evaluated again, for its
   * logits. */
  prefix = hr_context_common_prefix (o->ctx, tokens, n);
  if (prefix >= n)
    prefix = n - 1;
  hr_context_truncate (o->ctx, prefix);
  stats->cached_tokens = prefix;
  rc = g_cancellable_is_cancelled (job->cancellable)
       ? HR_ERR_CANCELLED : hr_decode (o->ctx, tokens + prefix, n - prefix, err, sizeof err);
  t_prompt = g_get_monotonic_time ();
  stats->prompt_ms = (t_prompt - t0) / 1000.0;
  if (rc == HR_ERR_CANCELLED)
    {
      stats->stop = HERON_STOP_CANCELLED;
      goto out;
    }
  if (rc != HR_OK)
    {
      g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION,
                   _("The model failed on the prompt: %s"), err);
      goto fail;
    }

  set_sampler_params (&sp, &req->params);
  sampler = hr_sampler_new (&sp, hr_model_n_vocab (o->model));
  detok = hr_detok_new (vocab, false);
  think = hr_think_new (hr_chat_starts_in_think (family), stream_push, job->stream);
  limit = req->params.max_tokens > 0 ? req->params.max_tokens : G_MAXINT32;
  stats->stop = HERON_STOP_LENGTH;

  for (int i = 0; i < limit; i++)
    {
      hr_token t = hr_sampler_sample (sampler, hr_context_logits (o->ctx));
      int32_t len;

      hr_sampler_accept (sampler, t);
      if (hr_chat_is_eog (vocab, family, t))
        {
          stats->stop = HERON_STOP_END;
          break;
        }
      stats->completion_tokens++;
      /* Text that does not fit in piece stays pending and comes with the next push. */
      len = hr_detok_push (detok, t, piece, sizeof piece);
      if (len > 0)
        hr_think_feed (think, piece, len);
      if (t_first == 0)
        t_first = g_get_monotonic_time ();
      if (g_cancellable_is_cancelled (job->cancellable))
        {
          stats->stop = HERON_STOP_CANCELLED;
          break;
        }
      if (i + 1 == limit || hr_context_n_past (o->ctx) >= n_ctx)
        break;
      rc = hr_decode (o->ctx, &t, 1, err, sizeof err);
      if (rc == HR_ERR_CANCELLED)
        {
          stats->stop = HERON_STOP_CANCELLED;
          break;
        }
      if (rc == HR_ERR_CONTEXT_FULL)
        break;
      if (rc != HR_OK)
        {
          g_set_error (error, HERON_ASSIST_ERROR, HERON_ASSIST_ERROR_GENERATION,
                       _("The model failed while generating: %s"), err);
          goto fail;
        }
    }

  {
    int32_t len = hr_detok_flush (detok, piece, sizeof piece);
    if (len > 0)
      hr_think_feed (think, piece, len);
    hr_think_finish (think);
  }

out:
  {
    gint64 t_end = g_get_monotonic_time ();
    stats->time_to_first_token_ms = t_first ? (t_first - t0) / 1000.0 : 0;
    stats->generation_ms = (t_end - t_prompt) / 1000.0;
    stats->tokens_per_second = stats->generation_ms > 0
                               ? stats->completion_tokens * 1000.0 / stats->generation_ms : 0;
  }
  if (cancel_id)
    g_cancellable_disconnect (job->cancellable, cancel_id);
  free_generation (think, detok, sampler);
  return g_steal_pointer (&stats);

fail:
  if (cancel_id)
    g_cancellable_disconnect (job->cancellable, cancel_id);
  free_generation (think, detok, sampler);
  return NULL;
}

static gpointer
owner_thread (gpointer data)
{
  Owner *o = data;

  for (;;)
    {
      Job *job = g_async_queue_pop (o->queue);

      if (job->kind == JOB_QUIT)
        {
          job_free (job);
          break;
        }
      if (job->kind == JOB_LOAD)
        {
          owner_load (o, job->cancellable, job->progress);
          if (o->load_error)
            g_task_return_error (job->task, g_error_copy (o->load_error));
          else if (o->model == NULL)
            g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                     _("Loading was cancelled."));
          else
            g_task_return_boolean (job->task, TRUE);
        }
      else
        {
          GError *error = NULL;
          HeronChatStats *stats = NULL;

          if (!o->loaded)
            owner_load (o, NULL, NULL);
          stats = owner_chat (o, job, &error);
          stream_end (job->stream, stats, error);
        }
      job_free (job);
    }
  owner_unref (o);
  return NULL;
}

/* ---- GObject --------------------------------------------------------------------------- */

static void
heron_local_backend_finalize (GObject *object)
{
  HeronLocalBackend *self = HERON_LOCAL_BACKEND (object);
  Job *quit = g_new0 (Job, 1);
  GThread *thread = self->owner->thread;

  quit->kind = JOB_QUIT;
  g_async_queue_push (self->owner->queue, quit);
  /* Pending chats hold a reference on the backend (their GTask source), so the queue is
   * empty of work here; a load may still run and is waited for. */
  if (g_thread_self () != thread)
    g_thread_join (thread);
  else
    g_thread_unref (thread);
  owner_unref (self->owner);
  G_OBJECT_CLASS (heron_local_backend_parent_class)->finalize (object);
}

static void
heron_local_backend_get_property (GObject *object, guint prop_id, GValue *value,
                                  GParamSpec *pspec)
{
  HeronLocalBackend *self = HERON_LOCAL_BACKEND (object);

  switch (prop_id)
    {
    case PROP_LOAD_PROGRESS:
      g_value_set_double (value, self->load_progress);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
heron_local_backend_class_init (HeronLocalBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = heron_local_backend_finalize;
  object_class->get_property = heron_local_backend_get_property;

  properties[PROP_LOAD_PROGRESS] =
    g_param_spec_double ("load-progress", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
heron_local_backend_init (HeronLocalBackend *self)
{
}

HeronLocalBackend *
heron_local_backend_new (const char *model_path, int n_ctx, int n_threads)
{
  HeronLocalBackend *self;
  Owner *o;
  g_autofree char *base = NULL;

  g_return_val_if_fail (model_path != NULL, NULL);
  self = g_object_new (HERON_TYPE_LOCAL_BACKEND, NULL);
  o = g_new0 (Owner, 1);
  o->ref_count = 1;
  o->queue = g_async_queue_new ();
  o->path = g_strdup (model_path);
  base = g_path_get_basename (model_path);
  o->name = g_str_has_suffix (base, ".gguf") ? g_strndup (base, strlen (base) - 5)
                                             : g_strdup (base);
  o->n_ctx = n_ctx;
  o->n_threads = n_threads;
  o->thread = g_thread_new ("heron-model", owner_thread, owner_ref (o));
  self->owner = o;
  return self;
}

const char *
heron_local_backend_get_path (HeronLocalBackend *self)
{
  g_return_val_if_fail (HERON_IS_LOCAL_BACKEND (self), NULL);
  return self->owner->path;
}

double
heron_local_backend_get_load_progress (HeronLocalBackend *self)
{
  g_return_val_if_fail (HERON_IS_LOCAL_BACKEND (self), 0.0);
  return self->load_progress;
}

int
heron_local_backend_get_n_ctx (HeronLocalBackend *self)
{
  g_return_val_if_fail (HERON_IS_LOCAL_BACKEND (self), 0);
  return g_atomic_int_get (&self->owner->ctx_size);
}

void
heron_local_backend_load_async (HeronLocalBackend *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  Job *job = g_new0 (Job, 1);

  const char *hold = g_getenv ("HERON_TEST_LOAD_HOLD");

  job->kind = JOB_LOAD;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, heron_local_backend_load_async);
  job->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  job->progress = g_new0 (Progress, 1);
  job->progress->ref_count = 1;
  g_mutex_init (&job->progress->lock);
  job->progress->context = g_main_context_ref_thread_default ();
  g_weak_ref_init (&job->progress->backend, self);
  job->progress->hold_at = hold != NULL && *hold != '\0' ? g_ascii_strtod (hold, NULL)
                                                         : G_MAXDOUBLE;
  g_async_queue_push (self->owner->queue, job);
}

gboolean
heron_local_backend_load_finish (HeronLocalBackend *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
load_sync_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

gboolean
heron_local_backend_load_sync (HeronLocalBackend *self, GCancellable *cancellable,
                               GError **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_main_context_push_thread_default (context);
  heron_local_backend_load_async (self, cancellable, load_sync_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  return heron_local_backend_load_finish (self, result, error);
}

static void
local_chat_async (HeronBackend *backend, const HeronChatRequest *request,
                  HeronDeltaFunc delta_func, gpointer delta_data, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  HeronLocalBackend *self = HERON_LOCAL_BACKEND (backend);
  Job *job = g_new0 (Job, 1);
  Stream *s = g_new0 (Stream, 1);

  s->ref_count = 1;
  g_mutex_init (&s->lock);
  s->content = g_string_new ("");
  s->reasoning = g_string_new ("");
  s->context = g_main_context_ref_thread_default ();
  s->task = g_task_new (self, cancellable, callback, user_data);
  /* Cancellation is a normal end with stats, not an error. */
  g_task_set_check_cancellable (s->task, FALSE);
  g_task_set_source_tag (s->task, local_chat_async);
  s->delta_func = delta_func;
  s->delta_data = delta_data;

  job->kind = JOB_CHAT;
  job->stream = s;
  job->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  job->request = heron_chat_request_new ();
  job->request->params = request->params;
  job->request->session = request->session;
  for (guint i = 0; i < request->messages->len; i++)
    {
      HeronChatMessage *m = &g_array_index (request->messages, HeronChatMessage, i);
      heron_chat_request_add_message (job->request, m->role, m->content);
    }
  g_async_queue_push (self->owner->queue, job);
}

static HeronChatStats *
local_chat_finish (HeronBackend *backend, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, backend), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
local_get_name (HeronBackend *backend)
{
  return HERON_LOCAL_BACKEND (backend)->owner->name;
}

static void
backend_iface_init (HeronBackendInterface *iface)
{
  iface->get_name = local_get_name;
  iface->chat_async = local_chat_async;
  iface->chat_finish = local_chat_finish;
}
