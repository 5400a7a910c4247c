"""Media helpers shared by the storyboard, video and assembly stages.

`yuv`: BT.709 limited-range conversion between RGB and 4:2:0 planes; `x264`: the encoder's
quality tables and stream tags; `stills`: still frames as bytes (with the storyboard's depth
chunk); `system`: core count and memory release for the CPU-heavy renders.

`yuv` and `stills` need the `media` extra of reelforge-common (OpenCV), which those stages
install; the other stages' images do without it.
"""
