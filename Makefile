# wingtrack — the two set-up commands of the README, plus helpers.
#   make run    install system packages if missing, build release, run the main job on the sample
#   make test   install system packages if missing, build, run the test suite

APT_PACKAGES := libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libopenblas-dev pkg-config ffmpeg
SAMPLE := samples/grace_hopper.mp4
BIN := .build/release/wingtrack

.PHONY: run test build deps bench bench-nn fuzz fixture sample clean

run: deps build
	$(BIN) info --blas
	$(BIN) track $(SAMPLE) -o out/sample
	@echo "outputs: out/sample/grace_hopper.csv, out/sample/grace_hopper.overlay.mp4, out/sample/grace_hopper.json"

test: deps
	swift build --build-tests
	swift test

build: deps
	swift build -c release

bench-nn: build
	$(BIN) bench nn

# Side-by-side benchmark (never part of `make test`): the ffmpeg ceiling, dlib and MediaPipe, installed
# into .venv-bench from PyPI; writes docs/benchmarks.md. `make bench QUICK=1` for a short run.
bench: build
	@dpkg -s libdlib-data >/dev/null 2>&1 || apt-get install -y -qq libdlib-data
	@test -x .venv-bench/bin/python || ( python3 -m venv .venv-bench && \
	  .venv-bench/bin/pip install -q numpy==1.26.4 dlib-bin==20.0.1.post1 absl-py attrs flatbuffers "protobuf<5" matplotlib && \
	  .venv-bench/bin/pip install -q --no-deps opencv-python-headless==4.12.0.88 mediapipe==0.10.21 )
	.venv-bench/bin/python Benchmarks/peers.py $(if $(QUICK),--quick,)

# Mutates a valid clip N times and runs each through `track`, counting crashes, hangs and error kinds.
N ?= 1000
fuzz: build
	python3 Scripts/fuzz.py $(N)

# Installs the system packages when any is missing; without root, prints the exact command instead.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "wingtrack needs these Debian packages; run as root:"; \
	    echo "  apt-get update && apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

# Regenerates the PyTorch reference fixture of the engine tests (needs /opt/wheels/torch-2.13.0+cpu).
fixture:
	python3 Scripts/make_torch_fixture.py

# Regenerates the sample clip (needs numpy and the ffmpeg command line).
sample:
	python3 Scripts/make_sample_clip.py

clean:
	rm -rf .build
