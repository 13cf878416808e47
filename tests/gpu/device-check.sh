#!/usr/bin/env bash
# device-check.sh: checks parity's GPU path on a machine with an NVIDIA GPU.
# It prints nvidia-smi's view beside `parity probe gpu --fingerprint` (plain
# and with NVIDIA_TF32_OVERRIDE=0), runs a gpu contract through the CUDA
# runtime and through nvidia-smi (source: nvidia-smi), and fails when the
# two paths disagree on the device's facts or the fingerprint cannot tell
# TF32 from FP32. Everything it prints is meant to be pasted into a note.
#
# Run from anywhere in the repository:
#   tests/gpu/device-check.sh                       builds parity with make
#   PARITY=/path/to/parity tests/gpu/device-check.sh  uses that binary, no build
# With a carried binary, put the folder of its shared libraries on
# LD_LIBRARY_PATH. Other variables: DEVICE_CHECK_OUT (a folder for what it
# gathers, default a new temporary one), DEVICE_CHECK_LIMIT (seconds, default
# 300), PARITY_CUDART and PARITY_CUBLAS (read by parity as usual).
#
# Exit status: 0 all agree; 1 a disagreement or a fingerprint that cannot
# tell TF32 from FP32; 2 it could not run (no parity, nvidia-smi or python3);
# 124 it ran out of time.
set -u

limit=${DEVICE_CHECK_LIMIT:-300}
if [ -z "${DEVICE_CHECK_INNER:-}" ]; then
	DEVICE_CHECK_INNER=1 timeout -k 10 "$limit" bash "$0" "$@"
	rc=$?
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "FAIL: device-check ran out of its ${limit}s (DEVICE_CHECK_LIMIT) and was stopped"
		rc=124
	fi
	exit "$rc"
fi

exec 2>&1       # one stream, in order, for pasting
root=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$root" || exit 2
out=${DEVICE_CHECK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/device-check.XXXXXX")}
mkdir -p "$out" || { echo "FAIL: cannot create DEVICE_CHECK_OUT='$out'"; exit 2; }
out=$(cd "$out" && pwd)
problems=0

section() { printf '\n=== %s ===\n' "$*"; }
fail() { echo "FAIL: $*"; problems=$((problems + 1)); }
# bounded SECONDS CMD...: the command under a timeout; says so when it ran out
bounded() {
	local s=$1 rc
	shift
	timeout -k 5 "$s" "$@"
	rc=$?
	[ "$rc" = 124 ] && echo "(stopped after ${s}s: $*)"
	return "$rc"
}
# probe FILE [VAR=VALUE...]: parity probe gpu --fingerprint into FILE
probe() {
	local file=$1
	shift
	env "$@" "$PARITY" probe gpu --fingerprint > "$file" 2> "$file.err"
	local rc=$?
	[ -s "$file.err" ] && sed 's/^/  stderr: /' "$file.err"
	return "$rc"
}
# show FILE KEY...: "key: value" lines from a probe's JSON (fingerprint.KEY too)
show() {
	python3 - "$@" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = j
    for part in k.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    print("  %-34s %s" % (k, json.dumps(v)))
PY
}

section "1/8 parity"
if [ -n "${PARITY:-}" ]; then
	if [ ! -f "$PARITY" ] || [ ! -x "$PARITY" ]; then
		echo "FAIL: PARITY='$PARITY' is not an executable file: unset it to build with make, or name a parity binary"
		exit 2
	fi
	case $PARITY in /*) ;; *) PARITY=$PWD/$PARITY ;; esac
	echo "using PARITY=$PARITY (no build)"
else
	echo "building parity: make -j$(nproc) (log: $out/build.log)"
	if ! bounded 200 make -j"$(nproc)" > "$out/build.log" 2>&1; then
		tail -n 30 "$out/build.log"
		echo "FAIL: make failed: set PARITY to a prebuilt binary on a machine without the -dev packages"
		exit 2
	fi
	PARITY=$root/build/parity
fi
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
if ! "$PARITY" --version; then
	ldd "$PARITY" 2>&1 | grep 'not found'
	echo "FAIL: '$PARITY --version' failed: a shared library is missing (put its folder on LD_LIBRARY_PATH)"
	exit 2
fi
if ! command -v python3 > /dev/null; then
	echo "FAIL: python3 is not on PATH: it reads the JSON facts to compare them"
	exit 2
fi

section "2/8 host"
uname -srm
sed -n 's/^PRETTY_NAME=//p' /etc/os-release 2>/dev/null | tr -d '"'
echo "/proc/driver/nvidia/version:"
if [ -r /proc/driver/nvidia/version ]; then
	sed 's/^/  /' /proc/driver/nvidia/version
else
	echo "  (absent: parity reads the driver's version from nvidia-smi then)"
fi
for v in NVIDIA_TF32_OVERRIDE TORCH_ALLOW_TF32_CUBLAS_OVERRIDE CUBLAS_WORKSPACE_CONFIG CUDA_VISIBLE_DEVICES \
	NVIDIA_VISIBLE_DEVICES PARITY_CUDART PARITY_CUBLAS CUDA_HOME CUDA_PATH; do
	if [ -n "${!v+x}" ]; then echo "$v=${!v}"; fi
done

section "3/8 nvidia-smi"
if ! command -v nvidia-smi > /dev/null; then
	echo "FAIL: nvidia-smi is not on PATH: the nvidia-smi path cannot be checked"
	exit 2
fi
echo "$ nvidia-smi --query-gpu=name,uuid,driver_version,memory.total,compute_cap --format=csv"
if ! bounded 30 nvidia-smi --query-gpu=name,uuid,driver_version,memory.total,compute_cap --format=csv \
	> "$out/smi.csv" 2>&1; then
	cat "$out/smi.csv"
	echo "FAIL: nvidia-smi --query-gpu failed: is the driver loaded?"
	exit 2
fi
cat "$out/smi.csv"
echo "$ nvidia-smi --query-gpu=memory.total,memory.reserved,memory.used,memory.free,ecc.mode.current,mig.mode.current --format=csv"
bounded 30 nvidia-smi --query-gpu=memory.total,memory.reserved,memory.used,memory.free,ecc.mode.current,mig.mode.current \
	--format=csv 2>&1 || echo "(not answered: an older nvidia-smi)"
echo "$ nvidia-smi -L"
bounded 30 nvidia-smi -L 2>&1
echo "$ nvidia-smi (its header)"
bounded 30 nvidia-smi 2>&1 | head -n 6

section "4/8 CUDA libraries on this machine"
echo "ldconfig:"
found=$(ldconfig -p 2>/dev/null | grep -E 'lib(cudart|cublas)\.so')
if [ -n "$found" ]; then printf '%s\n' "$found" | sed 's/^/ /'; else echo "  (none)"; fi
dirs=()
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda/targets/sbsa-linux/lib; do
	if ls "$d"/libcudart.so* "$d"/libcublas.so* > /dev/null 2>&1; then dirs+=("$d"); fi
done
while IFS= read -r d; do
	[ -n "$d" ] && dirs+=("$d")
done < <(python3 - <<'PY' 2>/dev/null
# pip's wheels: site-packages/nvidia/cuda_runtime/lib, nvidia/cublas/lib (CUDA 12), nvidia/cu13/lib (CUDA 13)
import os
try:
    import nvidia
    roots = list(nvidia.__path__)
except Exception:
    roots = []
for r in roots:
    for sub in sorted(os.listdir(r)):
        lib = os.path.join(r, sub, "lib")
        if os.path.isdir(lib) and any(f.startswith(("libcudart.so", "libcublas.so")) for f in os.listdir(lib)):
            print(lib)
PY
)
echo "folders with libcudart or libcublas:"
for d in "${dirs[@]}"; do
	echo "  $d: $(cd "$d" && ls libcudart.so* libcublas.so* 2>/dev/null | tr '\n' ' ')"
done
[ ${#dirs[@]} -eq 0 ] && echo "  (none besides the loader's path)"

section "5/8 parity probe gpu --fingerprint"
probe "$out/probe.json" || fail "parity probe gpu exited $?"
# what parity finds on its own; else the folders above, after the caller's
if python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
sys.exit(0 if j.get("problem") == "no-runtime" or "skipped" in j.get("fingerprint", {}) else 1)' \
	"$out/probe.json" 2> /dev/null && [ ${#dirs[@]} -gt 0 ]; then
	extra=$(IFS=:; echo "${dirs[*]}")
	echo "parity found no CUDA runtime or cuBLAS on its own: again with LD_LIBRARY_PATH+=:$extra"
	export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$extra"
	probe "$out/probe.json" || fail "parity probe gpu exited $?"
fi
echo "libraries loaded:"
show "$out/probe.json" runtime_library runtime runtime_skipped fingerprint.cublas_library fingerprint.cublas
echo "facts:"
show "$out/probe.json" available problem reason name uuid compute_capability memory_gib memory_bytes \
	cuda_memory_gib cuda_memory_bytes memory_error driver driver_version ecc mig multiprocessors count
echo "fingerprint:"
show "$out/probe.json" fingerprint.sha256 fingerprint.max_rel_error fingerprint.tf32_max_rel_error \
	fingerprint.tf32_expected_rel_error fingerprint.tf32_used fingerprint.deterministic fingerprint.error \
	fingerprint.skipped

section "6/8 NVIDIA_TF32_OVERRIDE=0 parity probe gpu --fingerprint"
probe "$out/probe-notf32.json" NVIDIA_TF32_OVERRIDE=0 || fail "parity probe gpu (NVIDIA_TF32_OVERRIDE=0) exited $?"
show "$out/probe-notf32.json" tf32 fingerprint.sha256 fingerprint.max_rel_error fingerprint.tf32_max_rel_error \
	fingerprint.tf32_used fingerprint.deterministic fingerprint.error fingerprint.skipped

section "7/8 a gpu contract through the CUDA runtime and through nvidia-smi"
cat > "$out/contract.yaml" <<'YAML'
parity: 1
name: device-check
environments:
  here: {}
steps:
  - id: cudart
    description: the CUDA runtime in this process (source auto, no exec)
    gpu: {fingerprint: true}
  - id: smi
    description: nvidia-smi on this host (source nvidia-smi)
    gpu: {source: nvidia-smi}
YAML
rm -rf "$out/facts"
bounded 120 "$PARITY" run "$out/contract.yaml" --report "json:$out/report.json" --save-facts "$out/facts" --no-color
rc=$?
[ "$rc" = 0 ] || fail "parity run of the gpu contract exited $rc (0 expected: every check passes on a working GPU)"
echo "its checks:"
python3 - "$out/report.json" <<'PY' || echo "  (no report)"
import json, sys
for step in json.load(open(sys.argv[1]))["steps"]:
    for k in step["checks"]:
        print("  %-5s %s %s: %s" % (k["status"], step["id"], k["name"], k.get("message", "")))
PY

section "8/8 the two paths compared"
python3 - "$out" <<'PY' || problems=$((problems + 1))
import csv, json, os, sys
out = sys.argv[1]
problems = 0
def fail(msg):
    global problems
    problems += 1
    print("FAIL: " + msg)
def load(name):
    try:
        return json.load(open(os.path.join(out, name)))
    except Exception as e:
        fail("cannot read %s: %s" % (name, e))
        return {}
steps = load("facts/here.facts.json").get("steps", {})
a = steps.get("cudart", {}).get("value") or {}
b = steps.get("smi", {}).get("value") or {}
for name, v in [("cudart", a), ("nvidia-smi", b)]:
    if v.get("available") is not True:
        fail("the %s path found no usable GPU: %s (%s)" % (name, v.get("reason"), v.get("problem")))
# nvidia-smi's own CSV from section 3: a third reading of the same board
rows = list(csv.reader(open(os.path.join(out, "smi.csv")), skipinitialspace=True))
c = {}
if len(rows) >= 2:
    h = dict(zip(rows[0], rows[1 + (a.get("device") or 0)] if len(rows) > 1 + (a.get("device") or 0) else rows[1]))
    mib = h.get("memory.total [MiB]", "").split()[0] if h.get("memory.total [MiB]") else ""
    c = {"name": h.get("name"), "uuid": h.get("uuid"), "driver_version": h.get("driver_version"),
         "compute_capability": h.get("compute_cap"),
         "memory_gib": round(float(mib) / 1024, 2) if mib.replace(".", "").isdigit() else None}
fields = ["name", "uuid", "compute_capability", "memory_gib", "driver", "driver_version", "ecc", "count", "mig"]
print("%-20s %-42s %-42s %s" % ("fact", "cudart", "nvidia-smi (source)", "nvidia-smi CSV"))
for k in fields:
    va, vb = a.get(k), b.get(k)
    print("%-20s %-42s %-42s %s" % (k, json.dumps(va), json.dumps(vb), json.dumps(c[k]) if k in c else ""))
    if va != vb:
        fail("%s differs: cudart %s, nvidia-smi %s" % (k, json.dumps(va), json.dumps(vb)))
    if k in c and c[k] is not None and va != c[k]:
        fail("%s differs from nvidia-smi's CSV: cudart %s, CSV %s" % (k, json.dumps(va), json.dumps(c[k])))
print("%-20s %-42s" % ("cuda_memory_gib", json.dumps(a.get("cuda_memory_gib"))))
print("%-20s %-42s" % ("runtime", json.dumps(a.get("runtime"))))
# the fingerprint must tell TF32 from FP32: Hopper gives about 1e-4 against 2e-7
def fingerprint(name, file, tf32_expected):
    fp = load(file).get("fingerprint") or {}
    if fp.get("error") or fp.get("skipped") or "sha256" not in fp:
        fail("%s: no fingerprint: %s" % (name, fp.get("error") or fp.get("skipped") or "none in the facts"))
        return fp
    e32, etf = fp.get("max_rel_error"), fp.get("tf32_max_rel_error")
    print("%-32s FP32 %-10.3g TF32 allowed %-10.3g expected TF32 %-10.3g tf32_used %s deterministic %s" %
          (name, e32 or 0, etf or 0, fp.get("tf32_expected_rel_error") or 0, fp.get("tf32_used"),
           fp.get("deterministic")))
    if not isinstance(e32, (int, float)) or e32 > 1e-5:
        fail("%s: the float32 error %s is not float32's (near 2e-7 expected)" % (name, e32))
    if tf32_expected:
        if fp.get("tf32_used") is not True or not isinstance(etf, (int, float)) or not etf >= 10 * (e32 or 0):
            fail("%s: the fingerprint cannot tell TF32 from FP32: TF32-allowed error %s, float32 error %s, "
                 "tf32_used %s (near 1e-4 and 2e-7 expected on Ampere and later)" % (name, etf, e32, fp.get("tf32_used")))
    elif fp.get("tf32_used") is not False:
        fail("%s: TF32 was used although NVIDIA_TF32_OVERRIDE=0 (error %s)" % (name, etf))
    if fp.get("deterministic") is not True:
        fail("%s: three runs of the same product gave different bits" % name)
    return fp
p = fingerprint("probe", "probe.json", True)
q = fingerprint("probe, NVIDIA_TF32_OVERRIDE=0", "probe-notf32.json", False)
r = a.get("fingerprint") or {}
for name, fp in [("NVIDIA_TF32_OVERRIDE=0", q), ("the contract's cudart step", r)]:
    if p.get("sha256") and fp.get("sha256"):
        same = p["sha256"] == fp["sha256"]
        print("sha256 of %s %s the plain probe's (%s…)" % (name, "equals" if same else "DIFFERS FROM", p["sha256"][:12]))
sys.exit(1 if problems else 0)
PY

section "result"
echo "gathered: $out (probe.json, probe-notf32.json, smi.csv, report.json, facts/)"
if [ "$problems" = 0 ]; then
	echo "device-check: PASS"
	exit 0
fi
echo "device-check: FAIL (see the FAIL lines above)"
exit 1
