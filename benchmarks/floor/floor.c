/* floor.c: the physical floors that benchmarks/run.py times tfnpy against
 * (see benchmarks/README.md, "Floors"). C, POSIX only; the harness builds it
 * with the machine's C compiler at run time.
 *
 *   floor --list FILE [--threads T] [--buf BYTES] [--chunked] [--repeat K] [--reps R]
 *       The syscall floor. For each path in FILE (one per line): open, pread
 *       into a per-thread buffer, close. The buffer holds max(BYTES, largest
 *       file) bytes (BYTES defaults to 16 KiB), so a file that fits in BYTES is
 *       one pread(BYTES) that comes back short, and a larger file is read
 *       whole, from offset 0, by pread calls into the same buffer until one
 *       comes back short (one call for a page-cached file): every byte of the
 *       file lands in memory of the file's size, as it must in an output tensor.
 *       --chunked: the buffer holds BYTES only and every pread of a larger file
 *       reads the next BYTES of it into the buffer's start (a cache-resident
 *       destination: faster for large files, but it keeps none of the data).
 *       --crc (built with -DFLOOR_CRC and crc_shim.cc): each file's bytes are
 *       read in slices of 256 KiB, and the CRC-32 of each slice is computed
 *       right after its pread, as ReadNpz checks a stored member: the floor of
 *       a checked read (tfnpy's own CRC-32, cc/npy/crc32.cc: carry-less
 *       multiplies, bound by their throughput).
 *   floor --memcpy --count N --bytes B [--threads T] [--repeat K] [--reps R]
 *       The memcpy floor. N copies of B bytes, copy i from bytes [i*B, (i+1)*B)
 *       of one N*B-byte source (as big as the files' data in the page cache)
 *       into a per-thread B-byte buffer.
 *
 *   floor --inflate LIST [--threads T] [--repeat K] [--reps R]
 *       The inflate floor (built only with -DFLOOR_ZLIB and zlib, the harness
 *       uses TensorFlow's own copy: the library ReadNpz inflates with). LIST has
 *       one zip member a line, "path offset compressed_size size": the raw
 *       deflate stream at that offset of the file, and its inflated size. All
 *       streams are read into memory before any timing; each is then inflated
 *       whole (inflateReset, one inflate(Z_FINISH) call into a per-thread
 *       buffer of its size): zlib's own speed, no file reads, no CRC.
 *
 * One repetition is K passes over the N files (copies); the N are split into
 * T contiguous ranges, one pthread each. A repetition is timed with
 * clock_gettime(CLOCK_MONOTONIC) from before the threads are created to after
 * they are joined. Buffers are allocated and touched, and the files stat'ed,
 * before any timing. Prints one JSON line: every repetition's seconds, the
 * median, files (copies) per second and GB/s (10^9 bytes) at the median.
 *
 *   floor --serve ...
 *       The same work, driven by benchmarks/run.py's line protocol instead of
 *       --reps: prints {"status": "ready", ...}; then, for every input line
 *       with "run" in it, times one repetition and prints {"elements": N*K,
 *       "seconds": s, "bytes": b}; for a line with "exit", prints
 *       {"maxrss_kb": null} and exits. A repetition that reads other than the
 *       stat'ed sizes answers {"error": ...}.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef FLOOR_ZLIB
#include <zlib.h>
#endif
#ifdef FLOOR_CRC
unsigned floor_crc32(unsigned crc, const void *data, size_t n); /* crc_shim.cc */
#define CRC_SLICE (256 * 1024)
#endif

#define MAX_REPS 1000

struct job {
  /* set up once */
  char **paths;          /* pread mode; NULL in memcpy mode */
  const char *src;       /* memcpy mode */
  size_t begin, end;     /* this thread's files (copies) */
  size_t nbytes;         /* memcpy mode: bytes per copy */
  char *buf;             /* per-thread destination */
  size_t cap;            /* its size */
  int chunked;           /* pread mode: every read into buf's start */
  int crc;               /* pread mode: CRC-32 of every slice read */
  int repeat;
  const char **streams;   /* inflate mode: the compressed members */
  const size_t *csizes, *usizes;
  /* per repetition */
  unsigned long long bytes;
  unsigned sink;         /* keeps the copies observable */
  char error[512];
};

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("floor: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

/* Page-aligned, as large tensors are: malloc's large blocks start 16 bytes
 * into a page, and the kernel's copy of a read from a page-aligned file
 * offset to 1-31 bytes past it (modulo 4096) ran at a quarter of its speed
 * here (AMD EPYC, Zen 3), which made the syscall floor slower than
 * read_npy. */
static void *xalloc(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 4096, n ? n : 1) != 0) p = NULL;
  if (!p) die("cannot allocate %zu bytes", n);
  memset(p, 1, n); /* fault the pages in before any timing */
  return p;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *pread_files(void *arg) {
  struct job *j = arg;
  for (int k = 0; k < j->repeat; k++) {
    for (size_t i = j->begin; i < j->end; i++) {
      int fd = open(j->paths[i], O_RDONLY);
      if (fd < 0) {
        snprintf(j->error, sizeof j->error, "open %s: %s", j->paths[i], strerror(errno));
        return NULL;
      }
      size_t off = 0;
      unsigned crc = 0;
      for (;;) {
        size_t want = j->chunked ? j->cap : j->cap - off;
#ifdef FLOOR_CRC
        if (j->crc && !j->chunked && want > CRC_SLICE) want = CRC_SLICE;
#endif
        char *dst = j->chunked ? j->buf : j->buf + off;
        ssize_t n = pread(fd, dst, want, (off_t)off);
        if (n < 0) {
          if (errno == EINTR) continue;
          snprintf(j->error, sizeof j->error, "pread %s: %s", j->paths[i], strerror(errno));
          close(fd);
          return NULL;
        }
        off += (size_t)n;
#ifdef FLOOR_CRC
        if (j->crc) crc = floor_crc32(crc, dst, (size_t)n);
#endif
        if ((size_t)n < want || (!j->chunked && off == j->cap)) break; /* short: end of file */
      }
      close(fd);
      j->sink += crc;
      j->bytes += off;
    }
  }
  return NULL;
}

static void *copy_slices(void *arg) {
  struct job *j = arg;
  unsigned sink = 0;
  for (int k = 0; k < j->repeat; k++) {
    for (size_t i = j->begin; i < j->end; i++) {
      memcpy(j->buf, j->src + i * j->nbytes, j->nbytes);
      sink += (unsigned char)j->buf[i % j->nbytes];
      j->bytes += j->nbytes;
    }
  }
  j->sink = sink;
  return NULL;
}

#ifdef FLOOR_ZLIB
static void *inflate_members(void *arg) {
  struct job *j = arg;
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
    snprintf(j->error, sizeof j->error, "inflateInit2 failed");
    return NULL;
  }
  for (int k = 0; k < j->repeat; k++) {
    for (size_t i = j->begin; i < j->end; i++) {
      inflateReset(&zs);
      zs.next_in = (Bytef *)j->streams[i];
      zs.avail_in = (uInt)j->csizes[i];
      zs.next_out = (Bytef *)j->buf;
      zs.avail_out = (uInt)j->usizes[i];
      int rc = inflate(&zs, Z_FINISH);
      if (rc != Z_STREAM_END || zs.avail_out != 0) {
        snprintf(j->error, sizeof j->error, "member %zu: inflate gave %d with %u bytes left", i, rc, zs.avail_out);
        inflateEnd(&zs);
        return NULL;
      }
      j->sink += (unsigned char)j->buf[i % j->usizes[i]];
      j->bytes += j->usizes[i];
    }
  }
  inflateEnd(&zs);
  return NULL;
}
#endif

/* One repetition on all threads. Returns seconds, or -1 with *error set. */
static double run_once(struct job *jobs, int threads, unsigned long long *bytes,
                       const char **error) {
  pthread_t tid[threads];
  void *(*fn)(void *) = jobs[0].paths ? pread_files : copy_slices;
#ifdef FLOOR_ZLIB
  if (jobs[0].streams) fn = inflate_members;
#endif
  for (int t = 0; t < threads; t++) {
    jobs[t].bytes = 0;
    jobs[t].error[0] = '\0';
  }
  double t0 = now_s();
  for (int t = 0; t < threads; t++) {
    int rc = pthread_create(&tid[t], NULL, fn, &jobs[t]);
    if (rc != 0) die("pthread_create: %s", strerror(rc));
  }
  for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
  double dt = now_s() - t0;
  *bytes = 0;
  *error = NULL;
  for (int t = 0; t < threads; t++) {
    *bytes += jobs[t].bytes;
    if (jobs[t].error[0] && !*error) *error = jobs[t].error;
  }
  return *error ? -1.0 : dt;
}

/* The lines of a file, '\n' or "\r\n" ended, empty lines skipped. */
static char **read_list(const char *path, size_t *count) {
  FILE *f = fopen(path, "r");
  if (!f) die("cannot open list %s: %s", path, strerror(errno));
  size_t n = 0, cap = 1024;
  char **lines = malloc(cap * sizeof *lines);
  char *line = NULL;
  size_t len = 0;
  ssize_t got;
  while ((got = getline(&line, &len, f)) >= 0) {
    while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = '\0';
    if (got == 0) continue;
    if (n == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
    if (!lines || !(lines[n++] = strdup(line))) die("out of memory reading %s", path);
  }
  free(line);
  fclose(f);
  *count = n;
  return lines;
}

/* JSON string body with backslashes and quotes escaped (error messages). */
static void put_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') putchar('\\');
    putchar((unsigned char)*s < 0x20 ? ' ' : *s);
  }
  putchar('"');
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static long long arg_int(const char *name, const char *v, long long min) {
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (errno || *end || x < min) die("%s wants an integer >= %lld, got '%s'", name, min, v);
  return x;
}

int main(int argc, char **argv) {
  const char *list = NULL;
  int threads = 1, repeat = 1, reps = 5, serve = 0, memcpy_mode = 0, chunked = 0, inflate_mode = 0, crc = 0;
  size_t buf_bytes = 16 * 1024, count = 0, nbytes = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--serve")) { serve = 1; continue; }
    if (!strcmp(a, "--memcpy")) { memcpy_mode = 1; continue; }
    if (!strcmp(a, "--chunked")) { chunked = 1; continue; }
    if (!strcmp(a, "--crc")) {
#ifndef FLOOR_CRC
      die("--crc needs floor.c built with -DFLOOR_CRC and crc_shim.cc");
#endif
      crc = 1;
      continue;
    }
    if (!v) die("unknown option or missing value: %s (see the comment at the top of floor.c)", a);
    i++;
    if (!strcmp(a, "--list")) list = v;
    else if (!strcmp(a, "--inflate")) { list = v; inflate_mode = 1; }
    else if (!strcmp(a, "--threads")) threads = (int)arg_int(a, v, 1);
    else if (!strcmp(a, "--repeat")) repeat = (int)arg_int(a, v, 1);
    else if (!strcmp(a, "--reps")) reps = (int)arg_int(a, v, 1);
    else if (!strcmp(a, "--buf")) buf_bytes = (size_t)arg_int(a, v, 1);
    else if (!strcmp(a, "--count")) count = (size_t)arg_int(a, v, 1);
    else if (!strcmp(a, "--bytes")) nbytes = (size_t)arg_int(a, v, 1);
    else die("unknown option %s", a);
  }
  if (reps > MAX_REPS) die("--reps is at most %d", MAX_REPS);

  char **paths = NULL;
  char *src = NULL;
  size_t cap;
  unsigned long long expect; /* bytes one repetition must move */
  const char **streams = NULL;
  size_t *csizes = NULL, *usizes = NULL;
  if (inflate_mode) {
#ifndef FLOOR_ZLIB
    die("--inflate needs floor.c built with -DFLOOR_ZLIB and zlib");
#else
    char **lines = read_list(list, &count);
    if (!count) die("no members in %s", list);
    streams = malloc(count * sizeof *streams);
    csizes = malloc(count * sizeof *csizes);
    usizes = malloc(count * sizeof *usizes);
    if (!streams || !csizes || !usizes) die("out of memory");
    size_t largest = 0;
    expect = 0;
    for (size_t i = 0; i < count; i++) {
      char *sp = strrchr(lines[i], ' ');
      if (!sp) die("%s line %zu: want 'path offset compressed_size size'", list, i + 1);
      usizes[i] = (size_t)arg_int("size", sp + 1, 1);
      *sp = '\0';
      if (!(sp = strrchr(lines[i], ' '))) die("%s line %zu: want 'path offset compressed_size size'", list, i + 1);
      csizes[i] = (size_t)arg_int("compressed_size", sp + 1, 1);
      *sp = '\0';
      if (!(sp = strrchr(lines[i], ' '))) die("%s line %zu: want 'path offset compressed_size size'", list, i + 1);
      long long off = arg_int("offset", sp + 1, 0);
      *sp = '\0';
      int fd = open(lines[i], O_RDONLY);
      if (fd < 0) die("open %s: %s", lines[i], strerror(errno));
      char *b = xalloc(csizes[i]);
      if (pread(fd, b, csizes[i], (off_t)off) != (ssize_t)csizes[i]) die("short read of %s", lines[i]);
      close(fd);
      streams[i] = b;
      if (usizes[i] > largest) largest = usizes[i];
      expect += usizes[i];
    }
    cap = largest;
    expect *= (unsigned long long)repeat;
#endif
  } else if (memcpy_mode) {
    if (!count || !nbytes) die("--memcpy needs --count and --bytes");
    src = xalloc(count * nbytes);
    cap = nbytes;
    expect = (unsigned long long)count * nbytes * repeat;
  } else {
    if (!list) die("give --list FILE (or --memcpy)");
    paths = read_list(list, &count);
    if (!count) die("no paths in %s", list);
    size_t largest = 0;
    unsigned long long total = 0;
    for (size_t i = 0; i < count; i++) {
      struct stat st;
      if (stat(paths[i], &st) != 0) die("stat %s: %s", paths[i], strerror(errno));
      total += (unsigned long long)st.st_size;
      if ((size_t)st.st_size > largest) largest = (size_t)st.st_size;
    }
    cap = largest > buf_bytes && !chunked ? largest : buf_bytes;
    expect = total * repeat;
  }

  struct job jobs[threads];
  for (int t = 0; t < threads; t++) {
    jobs[t] = (struct job){.paths = paths, .src = src, .streams = streams, .csizes = csizes, .usizes = usizes, .nbytes = nbytes, .cap = cap,
                           .chunked = chunked, .crc = crc, .repeat = repeat, .buf = xalloc(cap),
                           .begin = count * t / threads, .end = count * (t + 1) / threads};
  }
  const char *mode = inflate_mode ? "inflate" : memcpy_mode ? "memcpy" : chunked ? "pread-chunked" : crc ? "pread+crc" : "pread";
  unsigned long long bytes;
  const char *error;

  if (serve) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("{\"status\": \"ready\", \"check\": \"%s, %d thread%s: %zu %s, %llu bytes per repetition (checked after each)\"}\n",
           mode, threads, threads == 1 ? "" : "s", count, inflate_mode ? "members" : memcpy_mode ? "copies" : "files", expect);
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
      if (strstr(line, "\"exit\"")) {
        printf("{\"maxrss_kb\": null}\n");
        return 0;
      }
      if (!strstr(line, "\"run\"")) continue;
      double dt = run_once(jobs, threads, &bytes, &error);
      if (!error && bytes != expect) {
        static char msg[160];
        snprintf(msg, sizeof msg, "read %llu bytes, the files have %llu", bytes, expect);
        error = msg;
      }
      if (error) {
        printf("{\"error\": ");
        put_json_string(error);
        printf("}\n");
      } else {
        printf("{\"elements\": %zu, \"seconds\": %.9f, \"bytes\": %llu}\n", count * repeat, dt, bytes);
      }
    }
    return 0;
  }

  double secs[MAX_REPS], sorted[MAX_REPS];
  for (int r = 0; r < reps; r++) {
    secs[r] = sorted[r] = run_once(jobs, threads, &bytes, &error);
    if (error) die("%s", error);
    if (bytes != expect) die("read %llu bytes, the files have %llu", bytes, expect);
  }
  qsort(sorted, reps, sizeof *sorted, cmp_double);
  double med = reps % 2 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
  printf("{\"mode\": \"%s\", \"threads\": %d, \"files\": %zu, \"repeat\": %d, \"bytes_per_rep\": %llu, "
         "\"reps\": %d, \"seconds\": [", mode, threads, count, repeat, expect, reps);
  for (int r = 0; r < reps; r++) printf("%s%.9f", r ? ", " : "", secs[r]);
  printf("], \"median_s\": %.9f, \"files_per_s\": %.1f, \"gb_per_s\": %.3f}\n", med,
         (double)count * repeat / med, expect / med / 1e9);
  return 0;
}
