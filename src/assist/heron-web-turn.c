/* heron-web-turn.c: the web step of a turn (see heron-web-turn.h).
 *
 * Threads: the web objects (session, provider chain, fetcher, context) live on one worker
 * thread with its own GMainContext and are only touched there; extraction and ranking of a
 * page never hold up the caller's main loop. The caller's side keeps the configuration
 * (under a lock, with a generation number the worker compares to rebuild its objects), and
 * every result and progress string is handed back with g_main_context_invoke, so the GTask
 * of a prepare is only ever referenced and returned on the caller's context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "heron-web-turn"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "heron-conversations.h"
#include "heron-messages.h"
#include "heron-web-secrets.h"
#include "heron-web-turn.h"

typedef struct
{
  char   **providers;      /* NULL: by locale */
  char   **base_urls;      /* "id=url" */
  char    *searxng_url;
  gboolean use_keyring;
  guint    timeout_ms;
  guint64  max_bytes;
  guint    max_parallel;
  guint    page_ttl_s;
  guint    search_ttl_s;
  int      n_ctx;
  double   share;
  gboolean allow_private;
  gboolean offline;
} Config;

/* What the worker owns; only touched on the worker thread. */
typedef struct
{
  guint            generation;
  HeronWebSession *session;
  HeronWebSearch  *search;
  HeronFetcher    *fetcher;
  HeronWebContext *context;
} Worker;

struct _HeronWebTurn
{
  GObject       parent_instance;

  HeronStore   *store;          /* owned */
  GMainContext *owner_context;  /* owned: where progress and results go */

  GMutex        lock;           /* guards config and generation */
  Config        config;
  guint         generation;

  GThread      *thread;
  GMainContext *worker_context; /* owned */
  GMainLoop    *worker_loop;    /* owned */
  Worker        worker;         /* worker thread only */
};

G_DEFINE_FINAL_TYPE (HeronWebTurn, heron_web_turn, G_TYPE_OBJECT)

enum { SIGNAL_PROGRESS, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
config_clear (Config *c)
{
  g_clear_pointer (&c->providers, g_strfreev);
  g_clear_pointer (&c->base_urls, g_strfreev);
  g_clear_pointer (&c->searxng_url, g_free);
}

static void
config_copy (const Config *from,
             Config       *to)
{
  *to = *from;
  to->providers = g_strdupv (from->providers);
  to->base_urls = g_strdupv (from->base_urls);
  to->searxng_url = g_strdup (from->searxng_url);
}

/* ---- worker thread ---------------------------------------------------------------------- */

static void
worker_clear (Worker *w)
{
  g_clear_object (&w->context);
  g_clear_object (&w->fetcher);
  g_clear_object (&w->search);
  g_clear_object (&w->session);
}

static char **
chain_ids (const Config *c)
{
  if (c->providers != NULL && c->providers[0] != NULL)
    return g_strdupv (c->providers);
  return heron_web_search_default_ids (NULL);
}

static void
set_keys (HeronWebSearch *search)
{
  GPtrArray *providers = heron_web_search_get_providers (search);

  for (guint i = 0; i < providers->len; i++)
    {
      HeronSearchProvider *p = providers->pdata[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *key = NULL;

      if (!heron_search_provider_get_needs_key (p))
        continue;
      /* Blocking is fine here: this is the worker thread. A missing keyring leaves the
       * provider without a key, and the chain skips it saying so. */
      key = heron_web_secrets_lookup_sync (heron_search_provider_get_id (p), NULL, &error);
      if (error != NULL)
        g_debug ("no key for %s: %s", heron_search_provider_get_id (p), error->message);
      heron_search_provider_set_api_key (p, key);
      if (key != NULL)
        memset (key, 0, strlen (key));
    }
}

static void
worker_build (HeronWebTurn *self,
              const Config *c)
{
  Worker *w = &self->worker;
  g_auto(GStrv) ids = chain_ids (c);
  g_autoptr(GError) error = NULL;

  worker_clear (w);
  w->session = heron_web_session_new ();
  w->search = heron_web_search_new_for_ids ((const char * const *) ids, &error);
  if (w->search == NULL)
    {
      /* Validated on the caller's side already; the default chain is always valid. */
      g_warning ("search providers: %s", error->message);
      g_auto(GStrv) defaults = heron_web_search_default_ids (NULL);
      w->search = heron_web_search_new_for_ids ((const char * const *) defaults, NULL);
    }
  if (c->searxng_url != NULL && *c->searxng_url != '\0')
    {
      HeronSearchProvider *p = heron_web_search_get_provider (w->search, "searxng");

      if (p != NULL)
        heron_search_provider_set_base_url (p, c->searxng_url);
    }
  for (guint i = 0; c->base_urls != NULL && c->base_urls[i] != NULL; i++)
    {
      const char *eq = strchr (c->base_urls[i], '=');
      g_autofree char *id = eq ? g_strndup (c->base_urls[i], eq - c->base_urls[i]) : NULL;
      HeronSearchProvider *p = id ? heron_web_search_get_provider (w->search, id) : NULL;

      if (p != NULL && eq[1] != '\0')
        heron_search_provider_set_base_url (p, eq + 1);
    }
  if (c->use_keyring)
    set_keys (w->search);
  heron_web_search_set_session (w->search, w->session);
  heron_web_search_set_store (w->search, self->store);
  if (c->search_ttl_s > 0)
    heron_web_search_set_cache_ttl (w->search, (gint64) c->search_ttl_s * 1000);

  w->fetcher = heron_fetcher_new (w->session);
  heron_fetcher_set_store (w->fetcher, self->store);
  heron_fetcher_set_allow_private (w->fetcher, c->allow_private);
  if (c->timeout_ms > 0)
    heron_fetcher_set_timeout (w->fetcher, c->timeout_ms);
  if (c->max_bytes > 0)
    heron_fetcher_set_max_bytes (w->fetcher, (gsize) c->max_bytes);
  if (c->max_parallel > 0)
    heron_fetcher_set_max_parallel (w->fetcher, c->max_parallel);
  if (c->page_ttl_s > 0)
    heron_fetcher_set_page_ttl (w->fetcher, (gint64) c->page_ttl_s * 1000);

  w->context = heron_web_context_new (self->store, w->search, w->fetcher);
}

typedef struct
{
  HeronWebTurn *self;         /* owned */
  GTask        *task;         /* owned; only touched on the owner's context */
  char         *question;
  HeronWebMode  mode;
  GCancellable *cancellable;  /* owned, may be NULL: the caller's */
  gulong        cancelled_id;
  GCancellable *inner;        /* owned: cancelled on the worker thread when the caller's is */
  HeronWebContextResult *result;
  GError       *error;
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_object (&job->self);
  if (job->cancelled_id != 0)
    g_cancellable_disconnect (job->cancellable, job->cancelled_id);
  g_clear_object (&job->cancellable);
  g_clear_object (&job->inner);
  g_free (job->question);
  g_clear_pointer (&job->result, heron_web_context_result_free);
  g_clear_error (&job->error);
  g_free (job);
}

typedef struct
{
  HeronWebTurn *self;
  char         *message;
} Progress;

static void
progress_free (Progress *p)
{
  g_object_unref (p->self);
  g_free (p->message);
  g_free (p);
}

static gboolean
emit_progress (gpointer data)
{
  Progress *p = data;

  g_signal_emit (p->self, signals[SIGNAL_PROGRESS], 0, p->message);
  return G_SOURCE_REMOVE;
}

static void
on_progress (const char *message,
             gpointer    user_data)
{
  Job *job = user_data;
  Progress *p = g_new0 (Progress, 1);

  p->self = g_object_ref (job->self);
  p->message = g_strdup (message);
  g_main_context_invoke_full (job->self->owner_context, G_PRIORITY_DEFAULT, emit_progress, p,
                              (GDestroyNotify) progress_free);
}

/* On the owner's context: the worker is done with JOB. */
static gboolean
return_job (gpointer data)
{
  Job *job = data;

  if (job->result != NULL)
    g_task_return_pointer (job->task, g_steal_pointer (&job->result),
                           (GDestroyNotify) heron_web_context_result_free);
  else
    g_task_return_error (job->task, g_steal_pointer (&job->error));
  return G_SOURCE_REMOVE;
}

static void
worker_built (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Job *job = user_data;

  job->result = heron_web_context_build_finish (HERON_WEB_CONTEXT (source), result,
                                                &job->error);
  heron_web_context_set_progress (HERON_WEB_CONTEXT (source), NULL, NULL);
  /* The session saw a connection fail for lack of network: say so, like the monitor. */
  if (job->result != NULL && !job->result->offline && job->result->sources->len == 0
      && job->self->worker.session != NULL
      && heron_web_session_is_offline (job->self->worker.session))
    job->result->offline = TRUE;
  g_main_context_invoke_full (job->self->owner_context, G_PRIORITY_DEFAULT, return_job, job,
                              (GDestroyNotify) job_free);
}

static gboolean
worker_start (gpointer data)
{
  Job *job = data;
  HeronWebTurn *self = job->self;
  Config c = { 0 };
  guint generation;

  g_mutex_lock (&self->lock);
  config_copy (&self->config, &c);
  generation = self->generation;
  g_mutex_unlock (&self->lock);

  if (self->worker.context == NULL || self->worker.generation != generation)
    {
      worker_build (self, &c);
      self->worker.generation = generation;
    }
  /* Read at every question (the model, hence its context size, may have changed). */
  heron_web_context_set_offline (self->worker.context, c.offline);
  heron_web_context_set_budget_tokens (self->worker.context,
                                       c.n_ctx > 0
                                       ? (guint) (c.n_ctx * CLAMP (c.share, 0.05, 0.9))
                                       : HERON_WEB_TURN_DEFAULT_BUDGET);
  heron_web_context_set_progress (self->worker.context, on_progress, job);
  heron_web_context_build_async (self->worker.context, job->question, job->mode,
                                 job->inner, worker_built, job);
  config_clear (&c);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GMainContext *context;
  GCancellable *inner;
} Forward;

static void
forward_free (gpointer data)
{
  Forward *f = data;

  g_main_context_unref (f->context);
  g_object_unref (f->inner);
  g_free (f);
}

static gboolean
cancel_inner (gpointer data)
{
  g_debug ("web step cancelled");
  g_cancellable_cancel (G_CANCELLABLE (data));
  return G_SOURCE_REMOVE;
}

/* The web objects only see cancellation on their own thread (libsoup reacts to it where it
 * is emitted). */
static void
on_caller_cancelled (GCancellable *cancellable,
                     gpointer      data)
{
  Forward *f = data;

  g_main_context_invoke_full (f->context, G_PRIORITY_DEFAULT, cancel_inner,
                              g_object_ref (f->inner), g_object_unref);
}

static gboolean
worker_quit (gpointer data)
{
  HeronWebTurn *self = data;

  g_main_loop_quit (self->worker_loop);
  return G_SOURCE_REMOVE;
}

static gpointer
worker_thread (gpointer data)
{
  HeronWebTurn *self = data;

  g_main_context_push_thread_default (self->worker_context);
  g_main_loop_run (self->worker_loop);
  worker_clear (&self->worker);
  /* Let sources the web objects left behind run their destroy notifies here. */
  while (g_main_context_iteration (self->worker_context, FALSE))
    ;
  g_main_context_pop_thread_default (self->worker_context);
  return NULL;
}

static void
ensure_thread (HeronWebTurn *self)
{
  if (self->thread != NULL)
    return;
  /* The default session watches GNetworkMonitor; it must exist on the owner's thread. */
  heron_web_session_get_default ();
  self->worker_context = g_main_context_new ();
  self->worker_loop = g_main_loop_new (self->worker_context, FALSE);
  self->thread = g_thread_new ("heron-web", worker_thread, self);
}

/* ---- GObject ---------------------------------------------------------------------------- */

static void
heron_web_turn_finalize (GObject *object)
{
  HeronWebTurn *self = HERON_WEB_TURN (object);

  /* Every job holds a reference: nothing runs on the worker any more. */
  if (self->thread != NULL)
    {
      g_main_context_invoke (self->worker_context, worker_quit, self);
      g_thread_join (self->thread);
      g_main_loop_unref (self->worker_loop);
      g_main_context_unref (self->worker_context);
    }
  config_clear (&self->config);
  g_mutex_clear (&self->lock);
  g_clear_object (&self->store);
  g_main_context_unref (self->owner_context);
  G_OBJECT_CLASS (heron_web_turn_parent_class)->finalize (object);
}

static void
heron_web_turn_class_init (HeronWebTurnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = heron_web_turn_finalize;

  /* A progress line ("Searching Bing…", "Reading 3 of 5 pages…"), translated. */
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
heron_web_turn_init (HeronWebTurn *self)
{
  g_mutex_init (&self->lock);
  self->config.share = HERON_WEB_TURN_DEFAULT_SHARE;
  self->owner_context = g_main_context_ref_thread_default ();
}

HeronWebTurn *
heron_web_turn_new (HeronStore *store)
{
  HeronWebTurn *self = g_object_new (HERON_TYPE_WEB_TURN, NULL);

  g_return_val_if_fail (store == NULL || HERON_IS_STORE (store), NULL);
  if (store != NULL)
    self->store = g_object_ref (store);
  return self;
}

/* ---- configuration ---------------------------------------------------------------------- */

#define CONFIG_BEGIN(self) g_mutex_lock (&(self)->lock)
#define CONFIG_END(self) G_STMT_START { (self)->generation++; \
                                        g_mutex_unlock (&(self)->lock); } G_STMT_END

gboolean
heron_web_turn_set_providers (HeronWebTurn        *self,
                              const char * const  *ids,
                              GError             **error)
{
  g_autoptr(GPtrArray) clean = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (HERON_IS_WEB_TURN (self), FALSE);

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      g_autofree char *id = g_strstrip (g_strdup (ids[i]));

      if (*id == '\0')
        continue;
      if (heron_search_provider_info_lookup (id) == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("Unknown search provider “%s”"), id);
          return FALSE;
        }
      g_ptr_array_add (clean, g_steal_pointer (&id));
    }
  g_ptr_array_add (clean, NULL);
  CONFIG_BEGIN (self);
  g_strfreev (self->config.providers);
  self->config.providers = clean->len > 1 ? (char **) g_ptr_array_steal (clean, NULL) : NULL;
  CONFIG_END (self);
  return TRUE;
}

gboolean
heron_web_turn_set_base_urls (HeronWebTurn        *self,
                              const char * const  *entries,
                              GError             **error)
{
  g_auto(GStrv) ids = NULL;

  g_return_val_if_fail (HERON_IS_WEB_TURN (self), FALSE);

  g_mutex_lock (&self->lock);
  ids = chain_ids (&self->config);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; entries != NULL && entries[i] != NULL; i++)
    {
      const char *eq = strchr (entries[i], '=');
      g_autofree char *id = eq ? g_strndup (entries[i], eq - entries[i]) : NULL;

      if (id == NULL || !g_strv_contains ((const char * const *) ids, id))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--base-url takes PROVIDER=URL with a provider of the chain, not “%s”"),
                       entries[i]);
          return FALSE;
        }
    }
  CONFIG_BEGIN (self);
  g_strfreev (self->config.base_urls);
  self->config.base_urls = g_strdupv ((char **) entries);
  CONFIG_END (self);
  return TRUE;
}

void
heron_web_turn_set_searxng_url (HeronWebTurn *self,
                                const char   *url)
{
  g_return_if_fail (HERON_IS_WEB_TURN (self));
  CONFIG_BEGIN (self);
  g_free (self->config.searxng_url);
  self->config.searxng_url = g_strdup (url);
  CONFIG_END (self);
}

void
heron_web_turn_set_use_keyring (HeronWebTurn *self,
                                gboolean      use)
{
  g_return_if_fail (HERON_IS_WEB_TURN (self));
  CONFIG_BEGIN (self);
  self->config.use_keyring = use;
  CONFIG_END (self);
}

void
heron_web_turn_set_fetch_limits (HeronWebTurn *self,
                                 guint         timeout_ms,
                                 guint64       max_bytes,
                                 guint         max_parallel)
{
  g_return_if_fail (HERON_IS_WEB_TURN (self));
  CONFIG_BEGIN (self);
  self->config.timeout_ms = timeout_ms;
  self->config.max_bytes = max_bytes;
  self->config.max_parallel = max_parallel;
  CONFIG_END (self);
}

void
heron_web_turn_set_cache_ttls (HeronWebTurn *self,
                               guint         page_ttl_s,
                               guint         search_ttl_s)
{
  g_return_if_fail (HERON_IS_WEB_TURN (self));
  CONFIG_BEGIN (self);
  self->config.page_ttl_s = page_ttl_s;
  self->config.search_ttl_s = search_ttl_s;
  CONFIG_END (self);
}

void
heron_web_turn_set_budget (HeronWebTurn *self,
                           int           n_ctx,
                           double        share)
{
  g_return_if_fail (HERON_IS_WEB_TURN (self));
  /* Read at each prepare: the chain (and what it learnt about blocked providers) stays. */
  g_mutex_lock (&self->lock);
  self->config.n_ctx = MAX (n_ctx, 0);
  self->config.share = share > 0 ? share : HERON_WEB_TURN_DEFAULT_SHARE;
  g_mutex_unlock (&self->lock);
}

void
heron_web_turn_set_allow_private (HeronWebTurn *self,
                                  gboolean      allow)
{
  g_return_if_fail (HERON_IS_WEB_TURN (self));
  CONFIG_BEGIN (self);
  self->config.allow_private = allow;
  CONFIG_END (self);
}

void
heron_web_turn_set_offline (HeronWebTurn *self,
                            gboolean      offline)
{
  g_return_if_fail (HERON_IS_WEB_TURN (self));
  /* Read at each prepare; the chain need not be built again. */
  g_mutex_lock (&self->lock);
  self->config.offline = offline;
  g_mutex_unlock (&self->lock);
}

void
heron_web_turn_apply_settings (HeronWebTurn *self,
                               GSettings    *settings,
                               int           n_ctx)
{
  g_auto(GStrv) providers = NULL;
  g_auto(GStrv) base_urls = NULL;
  g_autofree char *searxng = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (HERON_IS_WEB_TURN (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  providers = g_settings_get_strv (settings, "search-providers");
  if (!heron_web_turn_set_providers (self, (const char * const *) providers, &error))
    {
      g_warning ("search-providers: %s", error->message);
      g_clear_error (&error);
      heron_web_turn_set_providers (self, NULL, NULL);
    }
  base_urls = g_settings_get_strv (settings, "search-base-urls");
  {
    /* An override for a provider that is not in the chain does nothing: keep the others. */
    g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
    g_auto(GStrv) usable = NULL;

    for (guint i = 0; base_urls[i] != NULL; i++)
      {
        const char *one[] = { base_urls[i], NULL };

        if (heron_web_turn_set_base_urls (self, one, &error))
          g_strv_builder_add (kept, base_urls[i]);
        else
          g_debug ("search-base-urls: %s", error->message);
        g_clear_error (&error);
      }
    usable = g_strv_builder_end (kept);
    heron_web_turn_set_base_urls (self, (const char * const *) usable, NULL);
  }
  searxng = g_settings_get_string (settings, "searxng-url");
  heron_web_turn_set_searxng_url (self, searxng);
  heron_web_turn_set_use_keyring (self, TRUE);
  heron_web_turn_set_fetch_limits (self, g_settings_get_uint (settings, "web-page-timeout-ms"),
                                   g_settings_get_uint64 (settings, "web-page-max-bytes"),
                                   g_settings_get_uint (settings, "web-max-parallel"));
  heron_web_turn_set_cache_ttls (self, g_settings_get_uint (settings, "web-cache-page-ttl"),
                                 g_settings_get_uint (settings, "web-cache-search-ttl"));
  heron_web_turn_set_budget (self, n_ctx, g_settings_get_double (settings, "web-context-share"));
}

/* ---- prepare ---------------------------------------------------------------------------- */

void
heron_web_turn_prepare_async (HeronWebTurn        *self,
                              const char          *question,
                              HeronWebMode         mode,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Job *job;

  g_return_if_fail (HERON_IS_WEB_TURN (self));
  g_return_if_fail (question != NULL);

  job = g_new0 (Job, 1);
  job->self = g_object_ref (self);
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, heron_web_turn_prepare_async);
  job->question = g_strdup (question);
  job->mode = mode;
  job->inner = g_cancellable_new ();
  ensure_thread (self);
  if (cancellable != NULL)
    {
      Forward *f = g_new0 (Forward, 1);

      f->context = g_main_context_ref (self->worker_context);
      f->inner = g_object_ref (job->inner);
      job->cancellable = g_object_ref (cancellable);
      job->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                 f, forward_free);
    }
  g_main_context_invoke (self->worker_context, worker_start, job);
}

HeronWebContextResult *
heron_web_turn_prepare_finish (HeronWebTurn  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- before and after the answer -------------------------------------------------------- */

static gboolean
worth_storing (HeronWebContextResult *r)
{
  return r->sources->len > 0 || r->searched || r->offline || r->notes->len > 0;
}

void
heron_web_turn_apply (HeronTurn             *turn,
                      HeronWebContextResult *result,
                      HeronWebMode           mode)
{
  g_autofree char *json = NULL;

  g_return_if_fail (HERON_IS_TURN (turn));

  if (result == NULL)
    {
      heron_turn_set_web_context (turn, NULL, NULL);
      return;
    }
  if (worth_storing (result))
    json = heron_web_turn_sources_json (result, mode, NULL);
  heron_turn_set_web_context (turn, result->context, json);
}

char *
heron_web_turn_describe (HeronWebContextResult *r)
{
  g_autofree char *json = NULL;

  if (r == NULL || !worth_storing (r))
    return NULL;
  json = heron_web_turn_sources_json (r, HERON_WEB_MODE_AUTO, NULL);
  return heron_web_turn_describe_json (json);
}

char *
heron_web_turn_describe_json (const char *sources_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;
  JsonArray *notes, *sources;
  const char *reason, *provider;
  gboolean offline;
  GString *s;

  if (sources_json == NULL || !json_parser_load_from_data (parser, sources_json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  reason = json_object_get_string_member_with_default (o, "reason", NULL);
  provider = json_object_get_string_member_with_default (o, "provider_name", NULL);
  offline = json_object_get_boolean_member_with_default (o, "offline", FALSE);
  notes = json_object_has_member (o, "notes")
          && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "notes"))
          ? json_object_get_array_member (o, "notes") : NULL;
  sources = json_object_has_member (o, "sources")
            && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "sources"))
            ? json_object_get_array_member (o, "sources") : NULL;

  s = g_string_new (NULL);
  /* The context says so itself when it knew before searching. */
  if (offline && g_strcmp0 (reason, _("Offline: answering from pages read earlier")) != 0)
    g_string_append_printf (s, "%s\n", _("Offline — answering from saved pages"));
  if (reason != NULL)
    g_string_append_printf (s, "%s\n", reason);
  if (provider != NULL)
    {
      g_string_append_printf (s, _("Answered by %s"), provider);
      g_string_append_c (s, '\n');
    }
  for (guint i = 0; notes != NULL && i < json_array_get_length (notes); i++)
    {
      const char *note = json_node_get_string (json_array_get_element (notes, i));

      if (note != NULL)
        g_string_append_printf (s, "%s\n", note);
    }
  if (sources == NULL || json_array_get_length (sources) == 0)
    g_string_append_printf (s, "%s\n", _("No web sources: the answer goes on without them."));
  if (s->len > 0)
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

void
heron_web_turn_set_message_status (HeronMessage *message,
                                   const char   *status)
{
  g_return_if_fail (HERON_IS_MESSAGE (message));

  if (g_strcmp0 (status, heron_web_turn_get_message_status (message)) == 0)
    return;
  g_object_set_data_full (G_OBJECT (message), HERON_WEB_TURN_STATUS_KEY, g_strdup (status),
                          g_free);
  /* Views redraw a message on any notify; "sources-json" is the closest property. */
  g_object_notify (G_OBJECT (message), "sources-json");
}

const char *
heron_web_turn_get_message_status (HeronMessage *message)
{
  g_return_val_if_fail (HERON_IS_MESSAGE (message), NULL);

  return g_object_get_data (G_OBJECT (message), HERON_WEB_TURN_STATUS_KEY);
}

HeronCitationCheck *
heron_web_turn_check (HeronWebContextResult *r,
                      const char            *answer)
{
  g_auto(GStrv) texts = NULL;

  if (r == NULL || r->sources->len == 0 || answer == NULL)
    return NULL;
  texts = heron_web_context_result_source_texts (r);
  return heron_citations_check (answer, (const char * const *) texts, r->sources->len,
                                HERON_CITATION_DEFAULT_THRESHOLD);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

char *
heron_web_turn_sources_json (HeronWebContextResult    *r,
                             HeronWebMode              mode,
                             const HeronCitationCheck *check)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (r != NULL, NULL);

  json_builder_begin_object (b);
  add_string (b, "reason", r->reason);
  add_string (b, "provider", r->provider_id);
  json_builder_set_member_name (b, "offline");
  json_builder_add_boolean_value (b, r->offline);
  json_builder_set_member_name (b, "sources");
  json_builder_add_value (b, heron_web_context_result_sources_to_json (r));
  if (check != NULL)
    {
      json_builder_set_member_name (b, "check");
      json_builder_add_value (b, heron_citation_check_to_json (check));
    }
  add_string (b, "provider_name", r->provider_name);
  add_string (b, "mode", mode == HERON_WEB_MODE_ON ? "on" : "auto");
  json_builder_set_member_name (b, "searched");
  json_builder_add_boolean_value (b, r->searched);
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->notes->len; i++)
    json_builder_add_string_value (b, r->notes->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

/* ---- after the answer ------------------------------------------------------------------- */

typedef struct
{
  HeronCitationCheck *check;
  guint               pending;
  GError             *error;
} Finish;

static void
finish_free (Finish *f)
{
  g_clear_pointer (&f->check, heron_citation_check_free);
  g_clear_error (&f->error);
  g_free (f);
}

static void
finish_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Finish *f = g_task_get_task_data (task);
  GError *error = NULL;

  if (!heron_store_write_finish (HERON_STORE (source), result, &error))
    {
      if (f->error == NULL)
        f->error = error;
      else
        g_error_free (error);
    }
  if (--f->pending > 0)
    return;
  if (f->error != NULL)
    g_task_return_error (task, g_steal_pointer (&f->error));
  else
    g_task_return_boolean (task, TRUE);
}

void
heron_web_turn_finish_answer_async (HeronStore            *store,
                                    HeronMessage          *answer,
                                    HeronWebContextResult *result,
                                    HeronWebMode           mode,
                                    GCancellable          *cancellable,
                                    GAsyncReadyCallback    callback,
                                    gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *json = NULL;
  Finish *f;
  gint64 id;

  g_return_if_fail (store == NULL || HERON_IS_STORE (store));
  g_return_if_fail (HERON_IS_MESSAGE (answer));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, heron_web_turn_finish_answer_async);
  f = g_new0 (Finish, 1);
  g_task_set_task_data (task, f, (GDestroyNotify) finish_free);
  id = heron_message_get_id (answer);
  if (result == NULL || !worth_storing (result))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  f->check = heron_web_turn_check (result, heron_message_get_content (answer));
  /* A marker that names no source given to the model goes: the stored answer is the clean
   * text, so the check's offsets fit it. */
  if (f->check != NULL && f->check->n_removed > 0)
    {
      heron_message_set_content (answer, f->check->text);
      if (store != NULL && id > 0)
        {
          f->pending++;
          heron_store_update_message_async (store, id, f->check->text,
                                            heron_message_get_reasoning (answer), NULL,
                                            finish_written, g_object_ref (task));
        }
    }
  json = heron_web_turn_sources_json (result, mode, f->check);
  heron_message_set_sources_json (answer, json);
  if (store != NULL && id > 0)
    {
      f->pending++;
      heron_store_set_message_sources_async (store, id, json, NULL, finish_written,
                                             g_object_ref (task));
    }
  if (f->pending == 0)
    g_task_return_boolean (task, TRUE);
}

HeronCitationCheck *
heron_web_turn_finish_answer_finish (GAsyncResult  *result,
                                     GError       **error)
{
  Finish *f;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  f = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  if (f->check == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The answer had no web sources to check."));
      return NULL;
    }
  return g_steal_pointer (&f->check);
}
