/* bench-extract.c: run the extractor over a main-content extraction benchmark's pages and
 * write the predictions as {"<key>": {"articleBody": "<text>"}} for score.py; prints the
 * time per page.
 *
 * Usage: bench-extract DATA_DIR OUT_JSON, where DATA_DIR holds ground-truth.json and
 * html/<key>.html.gz (the layout of scrapinghub/article-extraction-benchmark; see setup.sh).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "heron-extract.h"

static GBytes *
gunzip_file (const char *path,
             GError    **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GInputStream) raw = NULL;
  g_autoptr(GZlibDecompressor) dec = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

  raw = G_INPUT_STREAM (g_file_read (file, NULL, error));
  if (raw == NULL)
    return NULL;
  in = g_converter_input_stream_new (raw, G_CONVERTER (dec));
  if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                              G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) keys = NULL;
  g_autofree char *gt_path = NULL;
  JsonObject *gt;
  double total = 0, worst = 0;
  guint n = 0, failed = 0;

  if (argc != 3)
    {
      g_printerr ("usage: %s DATA_DIR OUT_JSON\n", argv[0]);
      return 2;
    }
  gt_path = g_build_filename (argv[1], "ground-truth.json", NULL);
  if (!json_parser_load_from_file (parser, gt_path, &error))
    {
      g_printerr ("%s: %s\n", gt_path, error->message);
      return 1;
    }
  gt = json_node_get_object (json_parser_get_root (parser));
  keys = json_object_get_members (gt);
  json_builder_begin_object (b);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonObject *entry = json_object_get_object_member (gt, key);
      const char *url = json_object_has_member (entry, "url") ?
                        json_object_get_string_member (entry, "url") : NULL;
      g_autofree char *name = g_strconcat (key, ".html.gz", NULL);
      g_autofree char *path = g_build_filename (argv[1], "html", name, NULL);
      g_autoptr(GBytes) html = gunzip_file (path, &error);
      g_autoptr(HeronExtract) ex = NULL;
      gint64 t0;
      double ms;

      if (html == NULL)
        {
          g_printerr ("%s: %s\n", path, error->message);
          return 1;
        }
      t0 = g_get_monotonic_time ();
      ex = heron_extract_bytes (g_bytes_get_data (html, NULL), g_bytes_get_size (html),
                                "text/html", url, &error);
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      total += ms;
      worst = MAX (worst, ms);
      n++;
      if (ex == NULL)
        {
          g_printerr ("%s: %s\n", key, error->message);
          g_clear_error (&error);
          failed++;
        }
      json_builder_set_member_name (b, key);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "articleBody");
      json_builder_add_string_value (b, ex ? ex->text : "");
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  if (!json_generator_to_file (gen, argv[2], &error))
    {
      g_printerr ("%s: %s\n", argv[2], error->message);
      return 1;
    }
  g_print ("heron extract: %u pages, %u failed, %.2f ms/page on average, %.1f ms worst\n",
           n, failed, n ? total / n : 0, worst);
  return 0;
}
