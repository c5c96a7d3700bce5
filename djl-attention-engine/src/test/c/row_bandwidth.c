/*
 * Batch-invariant attention engine for DJL.
 *
 * The machine's own figures for the CPU row ops, outside the JVM: what a C compiler makes of each
 * op with its own passes over a row, order of sums left free (-ffast-math: sums in any lanes,
 * fused multiply-adds, glibc's vector expf), on every core, beside a copy of the same bytes. Each
 * op twice: its passes one after the other a row at a time, and ("fused") in the engine's
 * pipelined form, one loop writing a row out while the next streams in. The engine's kernels
 * (RowBoundsTiming) are read against these: an op is at the machine's bandwidth when it streams
 * at the rate this program reaches with the same passes; the copies say what the memory system
 * gives at all (memcpy a row at a time, a plain loop, and non-temporal stores, which the JVM does
 * not emit). "RMS, 1 pass" is RowBoundsTiming's control: RMS norm's arithmetic in one pass.
 *
 * Same shapes and protocol as RowBoundsTiming: ROWS rows of 4096 floats, rows split evenly over
 * the threads, each op call timed right after a memcpy of the same rows; printed are the medians
 * (ns an element) and the quartiles of the op's rate as a share of its paired copy's, bytes
 * counted per element as the Java tool counts them (8, add 12).
 *
 * A second build (-DFIXED_ORDER) gives the yardstick for the engine's contract: the fused ops with
 * the engine's own arithmetic (sums in its 32 lanes, a division kept a division, its exp), which
 * is all a batch-invariant implementation may do.
 *
 * Build and run by hand (not part of the build):
 *   gcc -O3 -march=native -ffast-math -fopenmp -o row_bandwidth row_bandwidth.c -lm
 *   (add -DENGINE_EXP for the engine's exp formula in place of glibc's)
 *   gcc -O3 -march=native -mprefer-vector-width=256 -ffp-contract=off -fopenmp -DFIXED_ORDER \
 *       -o row_fixed row_bandwidth.c -lm
 *   OMP_NUM_THREADS=2 ./row_bandwidth [ROWS [CALLS]]
 */
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 4096

#if defined(ENGINE_EXP) || defined(FIXED_ORDER)
/* -DENGINE_EXP: every exp as the engine's FastMath.exp computes it in its normal range (Cephes'
 * polynomial in fused steps, 2^k from the bits, no range test: arguments here stay in range), to
 * separate the cost of glibc's exp from the streaming */
static inline float engine_exp(float x) {
    float t = fmaf(x, 1.44269504088896341f, 12582912.0f);
    float k = t - 12582912.0f;
    float r = fmaf(k, -0.693359375f, x);
    r = fmaf(k, 2.12194440e-4f, r);
    float p = fmaf(r, 1.9875691500e-4f, 1.3981999507e-3f);
    p = fmaf(p, r, 8.3334519073e-3f);
    p = fmaf(p, r, 4.1665795894e-2f);
    p = fmaf(p, r, 1.6666665459e-1f);
    p = fmaf(p, r, 5.0000001201e-1f);
    float y = fmaf(p, r * r, r) + 1;
    union { float f; int i; } scale, bits = {t};
    scale.i = (bits.i - 0x4b400000 + 127) << 23;
    return y * scale.f;
}
#define expf engine_exp
#endif

typedef void (*row_op)(const float *x, const float *y, float *o, const float *w);

/* an op over a block of consecutive rows (a thread's share) */
typedef void (*block_op)(const float *x, const float *y, float *o, const float *w, long rows);

static void copy_memcpy(const float *x, const float *y, float *o, const float *w) {
    (void) y; (void) w;
    memcpy(o, x, N * sizeof(float));
}

static void copy_loop(const float *restrict x, const float *y, float *restrict o, const float *w) {
    (void) y; (void) w;
    for (int i = 0; i < N; i++) {
        o[i] = x[i];
    }
}

static void copy_stream(const float *x, const float *y, float *o, const float *w) {
    (void) y; (void) w;
    for (int i = 0; i < N; i += 16) {
        _mm512_stream_ps(o + i, _mm512_load_ps(x + i));
    }
}

static void add(const float *restrict x, const float *restrict y, float *restrict o, const float *w) {
    (void) w;
    for (int i = 0; i < N; i++) {
        o[i] = x[i] + y[i];
    }
}

static void rms_norm(const float *restrict x, const float *y, float *restrict o, const float *restrict w) {
    (void) y;
    float s = 0;
    for (int i = 0; i < N; i++) {
        s += x[i] * x[i];
    }
    float denom = sqrtf(s / N + 1e-6f);
    for (int i = 0; i < N; i++) {
        o[i] = x[i] / denom * w[i];
    }
}

static void layer_norm(const float *restrict x, const float *y, float *restrict o, const float *restrict w) {
    (void) y;
    float s = 0;
    for (int i = 0; i < N; i++) {
        s += x[i];
    }
    float mean = s / N;
    float v = 0;
    for (int i = 0; i < N; i++) {
        float d = x[i] - mean;
        v += d * d;
    }
    float denom = sqrtf(v / N + 1e-5f);
    for (int i = 0; i < N; i++) {
        o[i] = (x[i] - mean) / denom * w[i] + w[i];
    }
}

static float row_max(const float *x) {
    float m = -INFINITY;
    for (int i = 0; i < N; i++) {
        m = fmaxf(m, x[i]);
    }
    return m;
}

static void softmax(const float *restrict x, const float *y, float *restrict o, const float *w) {
    (void) y; (void) w;
    float m = row_max(x);
    float s = 0;
    for (int i = 0; i < N; i++) {
        float e = expf(x[i] - m);
        o[i] = e;
        s += e;
    }
    float r = 1 / s;
    for (int i = 0; i < N; i++) {
        o[i] *= r;
    }
}

static void sigmoid(const float *restrict x, const float *y, float *restrict o, const float *w) {
    (void) y; (void) w;
    for (int i = 0; i < N; i++) {
        o[i] = 1 / (1 + expf(-x[i]));
    }
}

/* RMS norm with its two passes interleaved: row r's output written in the loop that sums row
 * r + 1's squares, so the memory stream never pauses for a pass through cache (as the engine's
 * two-row loop) */
static void rms_norm_fused(const float *restrict x, const float *y, float *restrict o, const float *restrict w,
        long rows) {
    (void) y;
    float s = 0;
    for (int i = 0; i < N; i++) {
        s += x[i] * x[i];
    }
    for (long r = 0; r < rows; r++) {
        const float *a = x + r * N;
        const float *next = r + 1 < rows ? a + N : a;
        float *out = o + r * N;
        float denom = sqrtf(s / N + 1e-6f);
        float t = 0;
        for (int i = 0; i < N; i++) {
            t += next[i] * next[i];
            out[i] = a[i] / denom * w[i];
        }
        s = t;
    }
}

/* the control: RMS norm's arithmetic in one pass, each row divided by the row before's root */
static void rms_one_pass(const float *restrict x, const float *y, float *restrict o, const float *restrict w,
        long rows) {
    (void) y;
    float denom = 1;
    for (long r = 0; r < rows; r++) {
        const float *a = x + r * N;
        float *out = o + r * N;
        float t = 0;
        for (int i = 0; i < N; i++) {
            t += a[i] * a[i];
            out[i] = a[i] / denom * w[i];
        }
        denom = sqrtf(t / N + 1e-6f);
    }
}

/* layer norm's three passes interleaved over three rows: row r's output, row r + 1's variance and
 * row r + 2's mean in one loop (as the engine's three-row loop) */
static void layer_norm_fused(const float *restrict x, const float *y, float *restrict o, const float *restrict w,
        long rows) {
    (void) y;
    float mean[2] = {0, 0};
    float var = 0;
    /* prologue: row 0's mean and variance, row 1's mean */
    for (int k = 0; k < 2 && k < rows; k++) {
        float s = 0;
        for (int i = 0; i < N; i++) {
            s += x[k * N + i];
        }
        mean[k] = s / N;
    }
    for (int i = 0; i < N; i++) {
        float d = x[i] - mean[0];
        var += d * d;
    }
    for (long r = 0; r < rows; r++) {
        const float *a = x + r * N;
        const float *b = r + 1 < rows ? a + N : a;
        const float *c = r + 2 < rows ? a + 2 * N : a;
        float *out = o + r * N;
        float m = mean[0];
        float denom = sqrtf(var / N + 1e-5f);
        float mb = mean[1];
        float v = 0;
        float s = 0;
        for (int i = 0; i < N; i++) {
            s += c[i];
            float d = b[i] - mb;
            v += d * d;
            out[i] = (a[i] - m) / denom * w[i] + w[i];
        }
        mean[0] = mb;
        mean[1] = s / N;
        var = v;
    }
}

/* log-softmax with its passes one after the other: max, the sum of the exps, x - (max + log sum) */
static void log_softmax(const float *restrict x, const float *y, float *restrict o, const float *w) {
    (void) y; (void) w;
    float m = row_max(x);
    float s = 0;
    for (int i = 0; i < N; i++) {
        s += expf(x[i] - m);
    }
    float c = m + logf(s);
    for (int i = 0; i < N; i++) {
        o[i] = x[i] - c;
    }
}

/* softmax (or log-softmax) with its passes over three rows in one loop, as the engine's: row r's
 * exps and their sum, row r + 1's max and row r - 1's output pass */
static void softmax_fused_rows(const float *restrict x, float *restrict o, long rows, int log) {
    float m = row_max(x);
    float c = 0;
    for (long r = 0; r <= rows; r++) {
        const float *a = x + (r < rows ? r : rows - 1) * N;
        const float *next = x + (r + 1 < rows ? r + 1 : rows - 1) * N;
        const float *before = x + (r > 0 ? r - 1 : 0) * N;
        float *out = o + (r < rows ? r : rows - 1) * N;
        float *prev = o + (r > 0 ? r - 1 : 0) * N;
        float s = 0;
        float mn = -INFINITY;
        if (r == rows) {
            /* the last row's output pass alone */
            for (int i = 0; i < N; i++) {
                prev[i] = log ? before[i] - c : prev[i] * c;
            }
            break;
        }
        if (log) {
            for (int i = 0; i < N; i++) {
                s += expf(a[i] - m);
                mn = fmaxf(mn, next[i]);
                prev[i] = before[i] - c;
            }
        } else if (r == 0) {
            for (int i = 0; i < N; i++) {
                float e = expf(a[i] - m);
                out[i] = e;
                s += e;
                mn = fmaxf(mn, next[i]);
            }
        } else {
            for (int i = 0; i < N; i++) {
                float e = expf(a[i] - m);
                out[i] = e;
                s += e;
                mn = fmaxf(mn, next[i]);
                prev[i] *= c;
            }
        }
        c = log ? m + logf(s) : 1 / s;
        m = mn;
    }
}

#ifdef FIXED_ORDER
/* -DFIXED_ORDER (built without -ffast-math, with -ffp-contract=off): the fused ops with the
 * engine's own arithmetic, each output and each partial sum rounded as in its Java loop: sums in 32
 * lanes (element i to lane i mod 32), the division kept a division, fused multiply-adds only where
 * the engine has them (its exp). What the machine gives the engine's contract, as gcc compiles it. */
#define LANES 32

/* the engine's halving tree over the 32 partial sums (LaneSums.combine; s is overwritten) */
static float lanes_total(float *s) {
    for (int w = LANES / 2; w > 0; w >>= 1) {
        for (int j = 0; j < w; j++) {
            s[j] += s[j + w];
        }
    }
    return s[0];
}

/* the engine's log (FastMath.log) for the positive normal sums of softmax: Cephes' polynomial */
static float engine_log(float x) {
    union { float f; uint32_t i; } b = {x}, mb;
    int e = (int) ((b.i >> 23) & 0xff) - 127;
    mb.i = (b.i & 0x007fffff) | 0x3f800000;
    float m = mb.f;
    if (m > 1.41421356f) {
        m *= 0.5f;
        e++;
    }
    float f = m - 1;
    float z = f * f;
    float p = 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    float y = p * f * z;
    float fe = (float) e;
    y += fe * -2.12194440e-4f;
    y -= 0.5f * z;
    return f + y + fe * 0.693359375f;
}

static float squares_fixed(const float *x) {
    float s[LANES] = {0};
    for (int i = 0; i < N; i += LANES) {
        for (int k = 0; k < LANES; k++) {
            s[k] += x[i + k] * x[i + k];
        }
    }
    return lanes_total(s);
}

static void rms_norm_fixed(const float *restrict x, const float *y, float *restrict o, const float *restrict w,
        long rows) {
    (void) y;
    float sq = squares_fixed(x);
    for (long r = 0; r < rows; r++) {
        const float *a = x + r * N;
        const float *next = r + 1 < rows ? a + N : a;
        float *out = o + r * N;
        float denom = sqrtf(sq / N + 1e-6f);
        float s[LANES] = {0};
        for (int i = 0; i < N; i += LANES) {
            for (int k = 0; k < LANES; k++) {
                s[k] += next[i + k] * next[i + k];
                out[i + k] = a[i + k] / denom * w[i + k];
            }
        }
        sq = lanes_total(s);
    }
}

static void layer_norm_fixed(const float *restrict x, const float *y, float *restrict o, const float *restrict w,
        long rows) {
    (void) y;
    float mean[2] = {0, 0};
    for (int k = 0; k < 2 && k < rows; k++) {
        float s[LANES] = {0};
        for (int i = 0; i < N; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                s[l] += x[k * N + i + l];
            }
        }
        mean[k] = lanes_total(s) / N;
    }
    float v0[LANES] = {0};
    for (int i = 0; i < N; i += LANES) {
        for (int l = 0; l < LANES; l++) {
            float d = x[i + l] - mean[0];
            v0[l] += d * d;
        }
    }
    float var = lanes_total(v0);
    for (long r = 0; r < rows; r++) {
        const float *a = x + r * N;
        const float *b = r + 1 < rows ? a + N : a;
        const float *c = r + 2 < rows ? a + 2 * N : a;
        float *out = o + r * N;
        float m = mean[0];
        float rstd = 1 / sqrtf(var / N + 1e-5f);
        float mb = mean[1];
        float v[LANES] = {0};
        float s[LANES] = {0};
        for (int i = 0; i < N; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                s[l] += c[i + l];
                float d = b[i + l] - mb;
                v[l] += d * d;
                out[i + l] = (a[i + l] - m) * rstd * w[i + l] + w[i + l];
            }
        }
        mean[0] = mb;
        mean[1] = lanes_total(s) / N;
        var = lanes_total(v);
    }
}

/* softmax (or log-softmax): row r's exps (into the output, or for log-softmax only summed) and
 * their lane sums, row r + 1's lane maxima, row r - 1's output pass, in one loop */
static void softmax_fixed_rows(const float *restrict x, float *restrict o, long rows, int log) {
    float m = row_max(x);
    float c = 0;
    for (long r = 0; r <= rows; r++) {
        const float *before = x + (r > 0 ? r - 1 : 0) * N;
        float *prev = o + (r > 0 ? r - 1 : 0) * N;
        if (r == rows) {
            for (int i = 0; i < N; i++) {
                prev[i] = log ? before[i] - c : prev[i] * c;
            }
            break;
        }
        const float *a = x + r * N;
        const float *next = x + (r + 1 < rows ? r + 1 : rows - 1) * N;
        float *out = o + r * N;
        float s[LANES] = {0};
        float mx[LANES];
        for (int l = 0; l < LANES; l++) {
            mx[l] = -INFINITY;
        }
        for (int i = 0; i < N; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                float e = engine_exp(a[i + l] - m);
                if (!log) {
                    out[i + l] = e;
                }
                s[l] += e;
                mx[l] = next[i + l] > mx[l] ? next[i + l] : mx[l];
                if (r > 0) {
                    prev[i + l] = log ? before[i + l] - c : prev[i + l] * c;
                }
            }
        }
        float sum = lanes_total(s);
        c = log ? m + engine_log(sum) : 1 / sum;
        m = -INFINITY;
        for (int l = 0; l < LANES; l++) {
            m = mx[l] > m ? mx[l] : m;
        }
    }
}

#endif

/* softmax and log-softmax over a thread's rows: the fused loop of this build (fast or fixed order) */
#ifdef FIXED_ORDER
#define SOFTMAX_ROWS softmax_fixed_rows
#else
#define SOFTMAX_ROWS softmax_fused_rows
#endif

static void softmax_fused(const float *restrict x, const float *y, float *restrict o, const float *w, long rows) {
    (void) y; (void) w;
    SOFTMAX_ROWS(x, o, rows, 0);
}

static void log_softmax_fused(const float *restrict x, const float *y, float *restrict o, const float *w,
        long rows) {
    (void) y; (void) w;
    SOFTMAX_ROWS(x, o, rows, 1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

/* one call over all rows, rows split evenly over the threads, a row op row by row or a block op
 * on each thread's block; ns an element */
static double call(row_op op, block_op block, const float *x, const float *y, float *o, const float *w,
        long rows) {
    double t0 = now();
#pragma omp parallel
    {
        int threads = omp_get_num_threads();
        long lo = rows * omp_get_thread_num() / threads;
        long hi = rows * (omp_get_thread_num() + 1) / threads;
        if (block != NULL) {
            if (hi > lo) {
                block(x + lo * N, y + lo * N, o + lo * N, w, hi - lo);
            }
        } else {
            for (long r = lo; r < hi; r++) {
                op(x + r * N, y + r * N, o + r * N, w);
            }
        }
    }
    return (now() - t0) / ((double) rows * N);
}

static int compare(const void *a, const void *b) {
    double d = *(const double *) a - *(const double *) b;
    return (d > 0) - (d < 0);
}

static float *data(long n, unsigned seed) {
    float *a = aligned_alloc(64, n * sizeof(float));
    srand(seed);
#pragma omp parallel
    {
        /* first touch on the thread that streams it */
        int threads = omp_get_num_threads();
        long lo = n * omp_get_thread_num() / threads;
        long hi = n * (omp_get_thread_num() + 1) / threads;
        memset(a + lo, 0, (hi - lo) * sizeof(float));
    }
    for (long i = 0; i < n; i++) {
        /* a sum of uniforms: roughly Gaussian, never all zeros */
        a[i] = (float) ((rand() + rand() + rand()) / (double) RAND_MAX - 1.5);
    }
    return a;
}

#ifdef FIXED_ORDER
/* the check's input: a hash of the index as a float in [-3, 3), computed the same way in Java */
static float hashed(uint32_t i) {
    uint32_t h = i * 0x9E3779B1u;
    h ^= h >> 15;
    h *= 0x85EBCA77u;
    h ^= h >> 13;
    return (float) (h >> 8) * 0x1p-24f * 6.0f - 3.0f;
}

/* FNV-1a over the outputs' bits, in order */
static uint64_t bits_hash(const float *o, long n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (long i = 0; i < n; i++) {
        union { float f; uint32_t u; } b = {o[i]};
        h ^= b.u;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* "check ROWS": each fixed-order op once over hashed rows (w: the hashes from 1 << 24 on), a
 * hash of its outputs' bits a line, for the engine's test to compare with its own */
static int check(long rows) {
    float *x = aligned_alloc(64, rows * N * sizeof(float));
    float *o = aligned_alloc(64, rows * N * sizeof(float));
    float *w = aligned_alloc(64, N * sizeof(float));
    for (long i = 0; i < rows * N; i++) {
        x[i] = hashed((uint32_t) i);
    }
    for (int i = 0; i < N; i++) {
        w[i] = hashed((1u << 24) + (uint32_t) i);
    }
    const char *names[] = {"rmsNorm", "layerNorm", "softmax", "logSoftmax", "sigmoid"};
    printf("# row_bandwidth -DFIXED_ORDER check %ld: FNV-1a of the output bits; input rows hashed\n", rows);
    for (int k = 0; k < 5; k++) {
        memset(o, 0xff, rows * N * sizeof(float));
        switch (k) {
            case 0: call(NULL, rms_norm_fixed, x, NULL, o, w, rows); break;
            case 1: call(NULL, layer_norm_fixed, x, NULL, o, w, rows); break;
            case 2: call(NULL, softmax_fused, x, NULL, o, w, rows); break;
            case 3: call(NULL, log_softmax_fused, x, NULL, o, w, rows); break;
            default: call(sigmoid, NULL, x, NULL, o, w, rows); break;
        }
        printf("%s %016llx\n", names[k], (unsigned long long) bits_hash(o, rows * N));
    }
    return 0;
}
#endif

int main(int argc, char **argv) {
#ifdef FIXED_ORDER
    if (argc > 2 && strcmp(argv[1], "check") == 0) {
        return check(atol(argv[2]));
    }
#endif
    long rows = argc > 1 ? atol(argv[1]) : 4096;
    int calls = argc > 2 ? atoi(argv[2]) : 21;
    float *x = data(rows * N, 3);
    float *y = data(rows * N, 4);
    float *o = data(rows * N, 6);
    float *w = data(N, 5);
#ifdef FIXED_ORDER
    const char *names[] = {"copy", "loop copy", "stream copy", "add x + y", "rmsNorm fixed", "layerNorm fixed",
        "softmax fixed", "log-sm fixed", "sigmoid"};
    row_op ops[] = {copy_memcpy, copy_loop, copy_stream, add, NULL, NULL, NULL, NULL, sigmoid};
    block_op blocks[] = {NULL, NULL, NULL, NULL, rms_norm_fixed, layer_norm_fixed, softmax_fused, log_softmax_fused,
        NULL};
    double bytes[] = {8, 8, 8, 12, 8, 8, 8, 8, 8};
#else
    const char *names[] = {"copy", "loop copy", "stream copy", "add x + y", "rmsNorm", "rmsNorm fused",
        "RMS, 1 pass", "layerNorm", "layerNorm fused", "softmax", "softmax fused", "log-softmax", "log-sm fused",
        "sigmoid"};
    row_op ops[] = {copy_memcpy, copy_loop, copy_stream, add, rms_norm, NULL, NULL, layer_norm, NULL, softmax, NULL,
        log_softmax, NULL, sigmoid};
    block_op blocks[] = {NULL, NULL, NULL, NULL, NULL, rms_norm_fused, rms_one_pass, NULL, layer_norm_fused, NULL,
        softmax_fused, NULL, log_softmax_fused, NULL};
    double bytes[] = {8, 8, 8, 12, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};
#endif
    int count = sizeof(ops) / sizeof(ops[0]);
    double *t[3];
    for (int j = 0; j < 3; j++) {
        t[j] = malloc(calls * sizeof(double));
    }
    printf("%ld rows of %d floats, %d threads; ns an element (medians of %d alternated calls)\n", rows, N,
            omp_get_max_threads(), calls);
    printf("%-15s %10s %10s %8s %13s\n", "op", "copy", "stream", "GB/s", "of copy (iqr)");
    for (int k = 0; k < count; k++) {
        for (int i = -3; i < calls; i++) {
            double c = call(copy_memcpy, NULL, x, y, o, w, rows);
            double s = call(ops[k], blocks[k], x, y, o, w, rows);
            if (i >= 0) {
                t[0][i] = c;
                t[1][i] = s;
                t[2][i] = 100 * bytes[k] / 8 * c / s;
            }
        }
        for (int j = 0; j < 3; j++) {
            qsort(t[j], calls, sizeof(double), compare);
        }
        double op = t[1][calls / 2];
        printf("%-15s %10.3f %10.3f %8.1f %4.0f%% %3.0f-%3.0f\n", names[k], t[0][calls / 2] * bytes[k] / 8, op,
                bytes[k] / op, t[2][calls / 2], t[2][calls / 4], t[2][3 * calls / 4]);
    }
    float check = 0;
    for (long i = 0; i < rows * N; i += 4097) {
        check += o[i];
    }
    printf("(checksum %g)\n", check);
    return 0;
}
