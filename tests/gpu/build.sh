#!/bin/sh
# build.sh DIR: builds the test doubles of the CUDA runtime and cuBLAS
# (fake_cudart.c, fake_cublas.c) once into the folder of the parity binary
# under test ($(dirname $PARITY)/gpu), then copies them and the fake
# nvidia-smi into DIR: DIR/libcudart.so.12, DIR/libcublas.so.12,
# DIR/bin/nvidia-smi, and a fake toolkit with every major version,
# DIR/cuda/lib64/libcudart.so.{13,12,11.0} and libcublas.so.{13,12,11}
# (for CUDA_HOME=DIR/cuda). Used by the gpu-*.case end-to-end cases.
set -e
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: build.sh DIR}
cache=$(dirname "${PARITY:?PARITY is the parity binary under test}")/gpu
mkdir -p "$cache" "$dest/bin" "$dest/cuda/lib64"

# build LIB MAJOR SONAME: $cache/SONAME from fake_LIB.c, when out of date
build() {
	out=$cache/$3
	if [ ! -f "$out" ] || [ "$here/fake_$1.c" -nt "$out" ] || [ "$here/fake_desc.h" -nt "$out" ] ||
		[ "$0" -nt "$out" ]; then
		tmp=$out.$$
		cc -shared -fPIC -O2 -Wall -Wextra -pthread -DFAKE_MAJOR="$2" -Wl,-soname,"$3" \
			-o "$tmp" "$here/fake_$1.c"
		mv -f "$tmp" "$out"
	fi
}
for major in 13 12 11; do
	rt=libcudart.so.$major
	[ "$major" = 11 ] && rt=libcudart.so.11.0
	build cudart "$major" "$rt"
	build cublas "$major" "libcublas.so.$major"
	cp "$cache/$rt" "$cache/libcublas.so.$major" "$dest/cuda/lib64/"
done
cp "$cache/libcudart.so.12" "$cache/libcublas.so.12" "$dest/"
cp "$here/fake-nvidia-smi" "$dest/bin/nvidia-smi"
