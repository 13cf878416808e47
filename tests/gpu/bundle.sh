#!/bin/sh
# bundle.sh [DIR]: copies a built parity ($PARITY, default build/parity) and
# the shared libraries it loads, except glibc's own, into DIR (default
# tmp/gpu-bundle, which git ignores): DIR/parity and DIR/lib/. For a machine
# that has a GPU but not the -dev packages to build parity (built on an
# older or equal glibc). Then, there, from the repository root:
#   PARITY=$PWD/DIR/parity LD_LIBRARY_PATH=$PWD/DIR/lib tests/gpu/device-check.sh
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dest=${1:-tmp/gpu-bundle}
parity=${PARITY:-build/parity}
[ -x "$parity" ] || { echo "bundle.sh: no parity binary at '$parity': run make, or set PARITY" >&2; exit 2; }
rm -rf "$dest"
mkdir -p "$dest/lib"
cp "$parity" "$dest/parity"
ldd "$parity" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
	case $(basename "$lib") in
	libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|libutil.so.*|ld-linux*) ;;
	*) cp -L "$lib" "$dest/lib/" ;;
	esac
done
if ldd "$parity" | grep -q 'not found'; then
	echo "bundle.sh: '$parity' has unresolved libraries here" >&2
	exit 2
fi
echo "$dest: $(du -sh "$dest" | cut -f1), $(ls "$dest/lib" | wc -l) libraries"
echo "run: PARITY=\$PWD/$dest/parity LD_LIBRARY_PATH=\$PWD/$dest/lib tests/gpu/device-check.sh"
