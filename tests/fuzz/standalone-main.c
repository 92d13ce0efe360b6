/* standalone-main.c: runs a libFuzzer harness over files, without libFuzzer.
 *
 * Built with gcc for every harness so that the seed corpus (and every crasher added to it)
 * is replayed by `meson test`, also under ASan/UBSan builds. Arguments are files or
 * directories (their regular files, one level deep). Each input is copied into a buffer of
 * exactly its size so that a sanitizer catches any read past its end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static int
run_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  uint8_t *buf;
  long len;

  if (!f)
    {
      fprintf (stderr, "%s: cannot open\n", path);
      return -1;
    }
  if (fseek (f, 0, SEEK_END) != 0 || (len = ftell (f)) < 0 || fseek (f, 0, SEEK_SET) != 0)
    {
      fprintf (stderr, "%s: cannot size\n", path);
      fclose (f);
      return -1;
    }
  /* malloc (0) may return NULL; keep a valid pointer for empty inputs */
  buf = malloc (len ? (size_t) len : 1);
  if (!buf || fread (buf, 1, (size_t) len, f) != (size_t) len)
    {
      fprintf (stderr, "%s: cannot read\n", path);
      free (buf);
      fclose (f);
      return -1;
    }
  fclose (f);
  LLVMFuzzerTestOneInput (buf, (size_t) len);
  free (buf);
  return 0;
}

int
main (int argc, char **argv)
{
  int n = 0, failed = 0;

  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      struct stat st;

      if (stat (argv[i], &st) != 0)
        {
          fprintf (stderr, "%s: not found\n", argv[i]);
          failed++;
          continue;
        }
      if (S_ISDIR (st.st_mode))
        {
          DIR *d = opendir (argv[i]);
          struct dirent *e;

          while (d && (e = readdir (d)))
            {
              char path[4096];
              struct stat est;

              snprintf (path, sizeof path, "%s/%s", argv[i], e->d_name);
              if (stat (path, &est) != 0 || !S_ISREG (est.st_mode))
                continue;
              if (run_file (path) != 0)
                failed++;
              else
                n++;
            }
          if (d)
            closedir (d);
        }
      else if (run_file (argv[i]) != 0)
        failed++;
      else
        n++;
    }
  printf ("ran %d inputs\n", n);
  if (n == 0)
    {
      fprintf (stderr, "no inputs\n");
      return 1;
    }
  return failed ? 1 : 0;
}
