/* image.h: the image side of the example apps: decode a JPEG/PNG (stb_image), turn it into a
 * model input (resize with antialiasing, letterbox or centre crop, normalise, NCHW), draw boxes
 * and points, write a PNG (stb_image_write). examples/reference.py states the same steps in numpy;
 * the tests compare the two. */
#ifndef DNNCC_EXAMPLES_IMAGE_H
#define DNNCC_EXAMPLES_IMAGE_H

#ifdef __cplusplus
extern "C" {
#endif

/* An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC): rgb[(y * width + x) * 3 + c].
 */
typedef struct {
  int width, height;
  unsigned char* rgb;
} Image;

/* Decodes a JPEG, PNG, BMP, TGA, PSD, GIF, HDR, PIC or PNM file into 8-bit RGB (gray and alpha
 * images are converted). Returns 0; on failure prints "error: PATH: REASON" to stderr, leaves *img
 * empty and returns 1. */
int imageLoad(const char* path, Image* img);

/* Writes img as a PNG. Returns 0; on failure prints "error: PATH: ..." and returns 1. */
int imageSavePng(const char* path, const Image* img);

void imageFree(Image* img);

/* Where the image lies in a model input: input pixel p = image pixel * scale + offset. */
typedef struct {
  double scale;
  int off_x, off_y;
} Placement;

/* Maps a model-input x or y coordinate back to image pixels. */
double placementToImageX(const Placement* p, double x);
double placementToImageY(const Placement* p, double y);

/* Writes a [3, height, width] float32 model input (NCHW with N = 1) to chw: the image resampled to
 * scaled_w x scaled_h, placed with its top-left corner at (off_x, off_y) on a width x height canvas
 * filled with pad (an 8-bit value, 0-255), what falls outside the canvas cropped; every value v
 * then becomes (v / 255 - mean[c]) / std[c]. Resampling is separable with the triangle (bilinear)
 * filter, widened by the shrink factor when shrinking (antialiasing, as Pillow's BILINEAR filter).
 */
void imageToTensor(const Image* img, int scaled_w, int scaled_h, int off_x, int off_y, int width,
                   int height, float pad, const float mean[3], const float std[3], float* chw);

/* The letterbox: the image scaled to fit width x height with its aspect ratio kept, centred, the
 * border filled with pad; see imageToTensor for the rest. Returns the placement. */
Placement imageLetterbox(const Image* img, int width, int height, float pad, const float mean[3],
                         const float std[3], float* chw);

/* The classifier crop: the short side scaled to `resize`, then the centre size x size pixels. */
void imageCenterCrop(const Image* img, int resize, int size, const float mean[3],
                     const float std[3], float* chw);

/* Draws the outline of the box [x0, x1] x [y0, y1] (image pixels, clipped to the image) in color,
 * thickness pixels wide inwards. */
void imageDrawBox(Image* img, double x0, double y0, double x1, double y1, int thickness,
                  const unsigned char color[3]);

/* Draws a filled square of side 2 * radius + 1 centred at (x, y). */
void imageDrawPoint(Image* img, double x, double y, int radius, const unsigned char color[3]);

#ifdef __cplusplus
}
#endif
#endif
