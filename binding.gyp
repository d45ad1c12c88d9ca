{
  "variables": {
    "trt_include_dir%": "<!(node native/probe-tensorrt.cjs trt-include)",
    "trt_lib_dir%": "<!(node native/probe-tensorrt.cjs trt-lib)",
    "cuda_include_dir%": "<!(node native/probe-tensorrt.cjs cuda-include)",
    "cuda_lib_dir%": "<!(node native/probe-tensorrt.cjs cuda-lib)"
  },
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/src"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
    "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=off", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "cflags_cc!": ["-fno-rtti"]
  },
  "targets": [
    {
      "target_name": "gloves_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/kernels_napi.cc",
        "native/src/motion_napi.cc",
        "native/src/kernels/motion.cc",
        "native/src/kernels/resample.cc",
        "native/src/kernels/bilinear.cc",
        "native/src/kernels/nv12.cc",
        "native/src/kernels/nms.cc"
      ],
      "cflags_cc": ["-fno-exceptions"],
      "conditions": [
        ["trt_include_dir!='' and cuda_include_dir!=''", {
          "dependencies": ["gloves_tensorrt"],
          "defines": ["HAVE_TENSORRT=1"]
        }]
      ]
    }
  ],
  "conditions": [
    ["trt_include_dir!='' and cuda_include_dir!=''", {
      "targets": [
        # Only the TensorRT sources get C++ exceptions (TensorRT and the ONNX
        # parser headers need them); native/src/trt/guard.h stops every one at
        # the N-API boundary. The pixel kernels above stay -fno-exceptions.
        # scripts/check-tensorrt.sh compiles these with the same flags.
        {
          "target_name": "gloves_tensorrt",
          "type": "static_library",
          "sources": [
            "native/src/trt/trt_napi.cc",
            "native/src/trt/builder.cc",
            "native/src/trt/engine.cc",
            "native/src/trt/device.cc"
          ],
          "include_dirs": ["<(trt_include_dir)", "<(cuda_include_dir)"],
          "defines": ["HAVE_TENSORRT=1"],
          "cflags_cc!": ["-fno-exceptions"],
          "cflags_cc": ["-fexceptions", "-Wno-deprecated-declarations"],
          "link_settings": {
            "libraries": [
              "-L<(trt_lib_dir)", "-L<(cuda_lib_dir)",
              "-Wl,-rpath,<(trt_lib_dir)", "-Wl,-rpath,<(cuda_lib_dir)",
              "-lnvinfer", "-lnvonnxparser", "-lcudart"
            ]
          }
        }
      ]
    }]
  ]
}
