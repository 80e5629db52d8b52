// The C wall for FFmpeg: headers plus static inline wrappers for the macros Swift cannot import.
#ifndef WINGTRACK_CFFMPEG_SHIM_H
#define WINGTRACK_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>
#include <libavutil/pixdesc.h>
#include <errno.h>

static inline int wt_averror(int e) { return AVERROR(e); }
static inline int wt_averror_eof(void) { return AVERROR_EOF; }
static inline int wt_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int wt_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int64_t wt_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational wt_time_base_q(void) { return AV_TIME_BASE_Q; }

/// Rotation in degrees from a stream's display matrix side data (0 when absent), like ffmpeg's autorotate.
static inline double wt_stream_display_rotation(const AVStream *st) {
    const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m) return 0.0;
    return av_display_rotation_get((const int32_t *)m);
}

/// Writes a display matrix onto an output stream: av_display_rotation_set takes clockwise degrees
/// (and av_display_rotation_get returns counter-clockwise ones).
static inline int wt_stream_set_display_rotation(AVStream *st, double degrees) {
    int32_t *m = (int32_t *)av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
    if (!m) return AVERROR(ENOMEM);
    av_display_rotation_set(m, degrees);
    return 0;
}

#endif
