# parity: build, test, demo, bench, install, lint, asan, fuzz.
# One plain Makefile; dependencies through pkg-config.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
CC        ?= cc
PKGS      := yaml-0.1 libpcre2-8 libcurl libcrypto jansson sqlite3
BUILD     ?= build

WARN      := -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion \
             -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wundef \
             -Wpointer-arith -Wcast-qual -Wvla
ifeq ($(CI),true)
WARN      += -Werror
endif
ifneq ($(WERROR),)
WARN      += -Werror
endif
OPT       ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS  += -Irunner -D_GNU_SOURCE -DPARITY_VERSION='"$(VERSION)"'
CFLAGS    += -std=c11 $(OPT) $(WARN) $(PKG_CFLAGS) -pthread $(EXTRA_CFLAGS)
LDLIBS    += $(PKG_LIBS) -pthread -ldl -lm

# A bare `make` on a fresh machine: say which command installs the libraries.
ifeq ($(filter deps demo test asan bench,$(MAKECMDGOALS)),)
ifneq ($(shell pkg-config --exists $(PKGS) 2>/dev/null && echo ok),ok)
$(warning pkg-config cannot find $(PKGS): run 'make deps' first (make demo and make test do it themselves))
endif
endif

SRCS      := $(sort $(wildcard runner/*/*.c))
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test unit demo asan bench lint install uninstall fuzz clean schema

all: $(BUILD)/parity

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# main.c embeds the contract schema with .incbin, which -MMD cannot see
$(BUILD)/runner/main.o: schemas/contract.schema.json

# The schema's per-kind parts come from the step kinds' descriptors: after
# changing a kind's keys, rewrite the file (tests/e2e/schema.t checks it).
schema: $(BUILD)/parity
	$(BUILD)/parity schema > schemas/contract.schema.json.tmp
	mv schemas/contract.schema.json.tmp schemas/contract.schema.json
	$(MAKE) $(BUILD)/parity

$(BUILD)/libparity.a: $(OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/parity: $(BUILD)/runner/main.o $(BUILD)/libparity.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libparity.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libparity.a $(LDLIBS) -lcmocka

# The out-of-memory loop looks for leaks with LeakSanitizer: linked in when
# the compiler has it and the build is not under ASan (which has it) already.
OOM_LSAN = $(if $(findstring sanitize=address,$(LDFLAGS)),,$(shell printf 'int main(void){return 0;}' | \
	$(CC) -fsanitize=leak -x c -o /dev/null - 2>/dev/null && echo -fsanitize=leak))
$(BUILD)/tests/test_oom: LDLIBS += $(OOM_LSAN)

# The whole suite: cmocka units and end-to-end cases, under prove.
# Unit binaries speak TAP through cmocka; end-to-end scripts are tests/e2e/*.t.
TESTENV = CMOCKA_MESSAGE_OUTPUT=TAP PARITY=$(abspath $(BUILD))/parity BUILD=$(abspath $(BUILD))
test: deps all $(UNIT_BINS)
	$(TESTENV) prove -f --exec '' $(UNIT_BINS) $(sort $(wildcard tests/e2e/*.t))

unit: all $(UNIT_BINS)
	$(TESTENV) prove -f --exec '' $(UNIT_BINS)

# The main job: the bundled two-environment example.
demo: deps all
	@sh examples/quickstart/demo.sh $(BUILD)/parity
	@echo
	@sh examples/serving/demo.sh $(BUILD)/parity

# The same suite under AddressSanitizer and UBSan, in its own build folder.
# Sanitizer reports get their own exit statuses, never the gate's 1.
asan: deps
	ASAN_OPTIONS=exitcode=86:detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1 \
	$(MAKE) test BUILD=build-asan CC=clang \
		OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined"

bench: deps all
	@sh bench/run.sh $(BUILD)/parity

lint: all
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
		-D__GNUC__ -Djson_object_foreach\(o,k,v\)=for\(\;\;\) -Djson_array_foreach\(a,i,v\)=for\(\;\;\) \
		--inline-suppr -Irunner $(SRCS) runner/main.c

# libFuzzer targets, one per parser of outside input: tests/fuzz/fuzz_NAME.c
# becomes $(BUILD)/fuzz/fuzz_NAME, linked with the other tests/fuzz/*.c and
# the runner's objects built once more with coverage, ASan and UBSan.
FUZZ_CC    := clang
FUZZ_FLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all $(WARN)
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJS  := $(SRCS:%.c=$(BUILD)/fuzz/obj/%.o) \
              $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(filter-out $(FUZZ_SRCS),$(wildcard tests/fuzz/*.c)))

fuzz: deps $(FUZZ_BINS)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/libparity.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/libparity.a
	$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -MMD -MP -o $@ $< \
		$(BUILD)/fuzz/libparity.a $(PKG_LIBS) -pthread -ldl -lm

-include $(FUZZ_OBJS:.o=.d) $(FUZZ_BINS:=.d)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/parity/schemas $(DESTDIR)$(PREFIX)/share/parity/contracts
	install -m 755 $(BUILD)/parity $(DESTDIR)$(PREFIX)/bin/parity
	install -m 644 schemas/*.json $(DESTDIR)$(PREFIX)/share/parity/schemas/
	$(if $(wildcard contracts/*.yaml),install -m 644 $(wildcard contracts/*.yaml) $(DESTDIR)$(PREFIX)/share/parity/contracts/)
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 man/parity.1 $(DESTDIR)$(PREFIX)/share/man/man1/parity.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/parity
	rm -rf $(DESTDIR)$(PREFIX)/share/parity
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/parity.1

clean:
	rm -rf build build-asan

-include $(OBJS:.o=.d)
