{
  "variables": {
    "trt_include_dir%": "<!(node native/probe-tensorrt.cjs trt-include)",
    "trt_lib_dir%": "<!(node native/probe-tensorrt.cjs trt-lib)",
    "cuda_include_dir%": "<!(node native/probe-tensorrt.cjs cuda-include)",
    "cuda_lib_dir%": "<!(node native/probe-tensorrt.cjs cuda-lib)"
  },
  "targets": [
    {
      "target_name": "gloves_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/kernels_napi.cc",
        "native/src/kernels/resample.cc",
        "native/src/kernels/bilinear.cc",
        "native/src/kernels/nv12.cc",
        "native/src/kernels/nms.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/src"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-exceptions", "-ffp-contract=off", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-rtti"],
      "conditions": [
        ["trt_include_dir!='' and cuda_include_dir!=''", {
          "sources": [
            "native/src/trt/trt_napi.cc",
            "native/src/trt/builder.cc",
            "native/src/trt/engine.cc",
            "native/src/trt/device.cc"
          ],
          "include_dirs": ["<(trt_include_dir)", "<(cuda_include_dir)"],
          "defines": ["HAVE_TENSORRT=1"],
          "cflags_cc": ["-Wno-deprecated-declarations", "-fexceptions"],
          "libraries": [
            "-L<(trt_lib_dir)", "-L<(cuda_lib_dir)",
            "-Wl,-rpath,<(trt_lib_dir)", "-Wl,-rpath,<(cuda_lib_dir)",
            "-lnvinfer", "-lnvonnxparser", "-lcudart"
          ]
        }]
      ]
    }
  ]
}
