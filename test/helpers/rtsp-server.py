#!/usr/bin/python3
"""A loopback RTSP camera for tests: serves an H.264 MP4 at rtsp://127.0.0.1:PORT/cat.

usage: rtsp-server.py PORT CLIP [REPEAT=30]
The clip is first joined REPEAT times into one longer MP4 (no re-encoding):
qtdemux ends the stream at the end of a file even under multifilesrc loop=true,
so a short clip alone would end the camera's stream every few seconds.
Prints "ready PORT" on stdout once listening. Killing the process is a camera
loss; starting it again on the same port is the camera coming back.
"""
import os
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

port, clip = sys.argv[1], sys.argv[2]
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 30
Gst.init(None)


def join_clip(src: str, times: int) -> str:
    # Restarts (a camera coming back) reuse the joined file.
    st = os.stat(src)
    out = os.path.join(tempfile.gettempdir(), f"gloves-rtsp-{st.st_ino}-{st.st_size}-{times}.mp4")
    if os.path.exists(out):
        return out
    tmp = f"{out}.{os.getpid()}.part"
    parts = " ".join(f'filesrc location="{src}" ! qtdemux ! h264parse ! c.' for _ in range(times))
    pipe = Gst.parse_launch(f'concat name=c ! h264parse ! mp4mux ! filesink location="{tmp}" {parts}')
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        print(f"cannot prepare {src}: {msg.parse_error()[0].message if msg else 'timeout'}", file=sys.stderr)
        sys.exit(1)
    os.replace(tmp, out)
    return out


clip = join_clip(clip, repeat)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
# The clip is an MP4 with H.264 inside: demux and re-packetise without re-encoding.
factory.set_launch(
    f'( filesrc location="{clip}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'
)
factory.set_shared(True)
server.get_mount_points().add_factory("/cat", factory)
if server.attach(None) == 0:
    print(f"cannot listen on 127.0.0.1:{port}", file=sys.stderr)
    sys.exit(1)
print(f"ready {port}", flush=True)
GLib.MainLoop().run()
