// Compile-time choice between TensorRT API generations. Everything that
// differs between 8.2 (Jetson Nano's last), 8.5+/10 and 11 is decided here.
#pragma once
#include <NvInfer.h>
#include <NvInferVersion.h>

#define GLOVES_TRT_AT_LEAST(maj, min) (NV_TENSORRT_MAJOR > (maj) || (NV_TENSORRT_MAJOR == (maj) && NV_TENSORRT_MINOR >= (min)))
// Named-tensor API (setTensorAddress/enqueueV3) from 8.5; 10.0 removed bindings/enqueueV2.
#define GLOVES_TRT_NAMED_TENSORS GLOVES_TRT_AT_LEAST(8, 5)
// IBuilderConfig::setMemoryPoolLimit from 8.4; setMaxWorkspaceSize before.
#define GLOVES_TRT_MEMORY_POOL GLOVES_TRT_AT_LEAST(8, 4)
// TensorRT 11 removed implicit quantization (calibrators) and the kFP16/kINT8 builder flags.
#define GLOVES_TRT_IMPLICIT_INT8 (NV_TENSORRT_MAJOR < 11)
#define GLOVES_TRT_PRECISION_FLAGS (NV_TENSORRT_MAJOR < 11)
// 8.x networks must be created explicit-batch; 10 made it the only mode.
#define GLOVES_TRT_EXPLICIT_BATCH_FLAG (NV_TENSORRT_MAJOR < 10)
// Strongly typed networks (types from the ONNX, Q/DQ honoured as written) from 10.0; always on in 11.
#define GLOVES_TRT_STRONGLY_TYPED_FLAG (NV_TENSORRT_MAJOR == 10)
// IBuilderConfig::setProgressMonitor / IProgressMonitor from 10.0.
#define GLOVES_TRT_PROGRESS_MONITOR GLOVES_TRT_AT_LEAST(10, 0)
