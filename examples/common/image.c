/* image.c: see image.h. */
#include "image.h"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int imageLoad(const char* path, Image* img) {
  int channels = 0;
  img->rgb = stbi_load(path, &img->width, &img->height, &channels, 3);
  if (!img->rgb) {
    fprintf(stderr, "error: %s: cannot decode the image (%s)\n", path, stbi_failure_reason());
    img->width = img->height = 0;
    return 1;
  }
  return 0;
}

int imageSavePng(const char* path, const Image* img) {
  if (!stbi_write_png(path, img->width, img->height, 3, img->rgb, img->width * 3)) {
    fprintf(stderr, "error: %s: cannot write the PNG file\n", path);
    return 1;
  }
  return 0;
}

void imageFree(Image* img) {
  stbi_image_free(img->rgb);
  img->rgb = NULL;
  img->width = img->height = 0;
}

double placementToImageX(const Placement* p, double x) {
  return (x - p->off_x) / p->scale;
}
double placementToImageY(const Placement* p, double y) {
  return (y - p->off_y) / p->scale;
}

/* The taps of one output pixel along one axis: source pixels [first, first + count) with their
 * weights (normalised to sum 1). */
typedef struct {
  int first, count;
  double* weights;
} Taps;

/* Taps of scaled pixels [from, to) when in_size source pixels are scaled to scaled_size. The
 * triangle filter is widened by the shrink factor, so every source pixel contributes (Pillow's
 * resampling; examples/reference.py triangle_weights). */
static Taps* makeTaps(int in_size, int scaled_size, int from, int to) {
  double ratio = (double)in_size / scaled_size;
  double support = ratio > 1.0 ? ratio : 1.0;
  int max_count = (int)ceil(support) * 2 + 1;
  Taps* taps = malloc(sizeof(Taps) * (size_t)(to - from));
  double* weights = malloc(sizeof(double) * (size_t)max_count * (size_t)(to - from));
  if (!taps || !weights)
    abort();
  for (int i = from; i < to; ++i) {
    Taps* t = &taps[i - from];
    double center = (i + 0.5) * ratio;
    int lo = (int)(center - support + 0.5);
    int hi = (int)(center + support + 0.5);
    lo = lo < 0 ? 0 : lo;
    hi = hi > in_size ? in_size : hi;
    t->first = lo;
    t->count = hi - lo;
    t->weights = weights + (size_t)(i - from) * (size_t)max_count;
    double sum = 0.0;
    for (int j = 0; j < t->count; ++j) {
      double w = 1.0 - fabs((lo + j + 0.5 - center) / support);
      t->weights[j] = w > 0.0 ? w : 0.0;
      sum += t->weights[j];
    }
    for (int j = 0; j < t->count && sum > 0.0; ++j)
      t->weights[j] /= sum;
  }
  return taps;
}

static void freeTaps(Taps* taps, int n) {
  if (n > 0)
    free(taps[0].weights);
  free(taps);
}

void imageToTensor(const Image* img, int scaled_w, int scaled_h, int off_x, int off_y, int width,
                   int height, float pad, const float mean[3], const float std[3], float* chw) {
  /* The canvas columns [x0, x1) and rows [y0, y1) that the scaled image covers. */
  int x0 = off_x > 0 ? off_x : 0, x1 = off_x + scaled_w < width ? off_x + scaled_w : width;
  int y0 = off_y > 0 ? off_y : 0, y1 = off_y + scaled_h < height ? off_y + scaled_h : height;
  size_t plane = (size_t)width * (size_t)height;
  for (int c = 0; c < 3; ++c) {
    float value = (pad / 255.0f - mean[c]) / std[c];
    for (size_t i = 0; i < plane; ++i)
      chw[c * plane + i] = value;
  }
  if (x0 >= x1 || y0 >= y1)
    return;
  int cols = x1 - x0, rows = y1 - y0;
  Taps* tx = makeTaps(img->width, scaled_w, x0 - off_x, x1 - off_x);
  Taps* ty = makeTaps(img->height, scaled_h, y0 - off_y, y1 - off_y);
  /* Horizontal pass over every source row, then the vertical pass into the canvas. */
  float* rowsum = malloc(sizeof(float) * (size_t)img->height * (size_t)cols * 3);
  if (!rowsum)
    abort();
  for (int y = 0; y < img->height; ++y) {
    const unsigned char* src = img->rgb + (size_t)y * (size_t)img->width * 3;
    for (int x = 0; x < cols; ++x) {
      double acc[3] = {0.0, 0.0, 0.0};
      for (int j = 0; j < tx[x].count; ++j)
        for (int c = 0; c < 3; ++c)
          acc[c] += tx[x].weights[j] * src[(tx[x].first + j) * 3 + c];
      for (int c = 0; c < 3; ++c)
        rowsum[((size_t)y * (size_t)cols + (size_t)x) * 3 + (size_t)c] = (float)acc[c];
    }
  }
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) {
      double acc[3] = {0.0, 0.0, 0.0};
      for (int j = 0; j < ty[y].count; ++j) {
        const float* src = rowsum + ((size_t)(ty[y].first + j) * (size_t)cols + (size_t)x) * 3;
        for (int c = 0; c < 3; ++c)
          acc[c] += ty[y].weights[j] * src[c];
      }
      size_t at = (size_t)(y0 + y) * (size_t)width + (size_t)(x0 + x);
      for (int c = 0; c < 3; ++c)
        chw[c * plane + at] = (float)((acc[c] / 255.0 - mean[c]) / std[c]);
    }
  free(rowsum);
  freeTaps(tx, cols);
  freeTaps(ty, rows);
}

/* floor(v + 0.5): the same rounding as examples/reference.py. */
static int roundHalfUp(double v) {
  return (int)floor(v + 0.5);
}

Placement imageLetterbox(const Image* img, int width, int height, float pad, const float mean[3],
                         const float std[3], float* chw) {
  double sx = (double)width / img->width, sy = (double)height / img->height;
  Placement p;
  p.scale = sx < sy ? sx : sy;
  int scaled_w = roundHalfUp(img->width * p.scale), scaled_h = roundHalfUp(img->height * p.scale);
  scaled_w = scaled_w < 1 ? 1 : scaled_w;
  scaled_h = scaled_h < 1 ? 1 : scaled_h;
  p.off_x = (width - scaled_w) / 2;
  p.off_y = (height - scaled_h) / 2;
  imageToTensor(img, scaled_w, scaled_h, p.off_x, p.off_y, width, height, pad, mean, std, chw);
  return p;
}

void imageCenterCrop(const Image* img, int resize, int size, const float mean[3],
                     const float std[3], float* chw) {
  int short_side = img->width < img->height ? img->width : img->height;
  double scale = (double)resize / short_side;
  int scaled_w = roundHalfUp(img->width * scale), scaled_h = roundHalfUp(img->height * scale);
  imageToTensor(img, scaled_w, scaled_h, -((scaled_w - size) / 2), -((scaled_h - size) / 2), size,
                size, 0.0f, mean, std, chw);
}

static void fillRect(Image* img, int x0, int y0, int x1, int y1, const unsigned char color[3]) {
  x0 = x0 < 0 ? 0 : x0;
  y0 = y0 < 0 ? 0 : y0;
  x1 = x1 > img->width ? img->width : x1;
  y1 = y1 > img->height ? img->height : y1;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      memcpy(img->rgb + ((size_t)y * (size_t)img->width + (size_t)x) * 3, color, 3);
}

void imageDrawBox(Image* img, double x0, double y0, double x1, double y1, int thickness,
                  const unsigned char color[3]) {
  int l = roundHalfUp(x0), t = roundHalfUp(y0), r = roundHalfUp(x1), b = roundHalfUp(y1);
  fillRect(img, l, t, r, t + thickness, color);
  fillRect(img, l, b - thickness, r, b, color);
  fillRect(img, l, t, l + thickness, b, color);
  fillRect(img, r - thickness, t, r, b, color);
}

void imageDrawPoint(Image* img, double x, double y, int radius, const unsigned char color[3]) {
  int cx = roundHalfUp(x), cy = roundHalfUp(y);
  fillRect(img, cx - radius, cy - radius, cx + radius + 1, cy + radius + 1, color);
}
