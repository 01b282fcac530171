# mailsim -- build, test, bench, fuzz.
#
#   make            build ./mailsim (release, -O2)
#   make deps       install the Debian packages needed to build and run
#   make run        deps, build, run the default lesson
#   make test       deps (incl. test tools), build, run every test under ASan+UBSan
#   make bench      build with -O2 and print "bench <name> <value> <unit>" lines
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS each (clang)
#   make soak-live  an hour of bounded load on live mode; prints RSS start/peak/end
#   make lint       layer-boundary check and cppcheck
#   make format     clang-format the C files of sim/, tests/, web/ (format-check: only report)
#   make install    PREFIX=/usr/local DESTDIR= (make uninstall removes it again)
#   make deb        a Debian package, build/mailsim_VERSION_ARCH.deb
#   make deps-web   install what the browser build and its test need (Debian)
#   make web        deps-web, then the browser build: build/web/ is a static
#                   site (docs/web.md)
#
# Sources are found by wildcard: every sim/<layer>/*.c is part of the library,
# every tests/<layer>/test_*.c is a cmocka test program, every
# tests/bench/bench_*.c a benchmark and every tests/fuzz/fuzz_*.c a fuzz target.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang
# V=1 shows whole compiler command lines.
V ?= 0
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n'
endif

PKGS     := sdl2 SDL2_ttf SDL2_image libcjson fontconfig libdeflate openssl libzstd
# Recursively expanded so that 'make deps' works before the packages exist.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The release build's allocator (docs/dependencies.md): jemalloc keeps a long
# mail day's cost per message flat, where glibc's malloc slows as the heap grows.
# The sanitizer and fuzz builds keep their own (ASan replaces malloc).
ALLOC_LIBS = $(shell pkg-config --libs jemalloc 2>/dev/null)
# libpng: the tests decode exported frames with a PNG reader independent of ours.
TEST_LIBS  = $(shell pkg-config --libs cmocka libpng 2>/dev/null)

WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wundef -Wwrite-strings \
        -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition \
        -Wformat=2 -Wvla
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
DATADIR := $(PREFIX)/share/mailsim
DEFS := -D_POSIX_C_SOURCE=200809L -DMAILSIM_VERSION='"$(VERSION)"' \
        -DMAILSIM_DATADIR='"$(DATADIR)"'
INC  := -Isim -I$(BUILD)/gen

REL_FLAGS := -O2 -g
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer

LIB_SRC   := $(sort $(wildcard sim/*/*.c))
MAIN_SRC  := sim/main.c
TEST_SRC  := $(sort $(wildcard tests/*/test_*.c))
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
TEST_SUPPORT := $(sort $(wildcard tests/support/*.c))

REL_OBJ  := $(LIB_SRC:%.c=$(BUILD)/rel/%.o)
SAN_OBJ  := $(LIB_SRC:%.c=$(BUILD)/san/%.o) $(TEST_SUPPORT:%.c=$(BUILD)/san/%.o)
FUZZ_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzz/%.o)
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/san/%)
BENCH_BIN:= $(BENCH_SRC:%.c=$(BUILD)/rel/%)
FUZZ_BIN := $(FUZZ_SRC:%.c=$(BUILD)/fuzz/%)
REPLAY_BIN := $(FUZZ_SRC:%.c=$(BUILD)/san/%_replay)

.PHONY: all deps deps-test run test unit-tests test-scripts bench fuzz fuzz-smoke \
        lint format format-check install uninstall icons deb clean golden soak deps-web web \
        web-page bench-web soak-live
all: mailsim

# ---- build -----------------------------------------------------------------
mailsim: $(REL_OBJ) $(BUILD)/rel/$(MAIN_SRC:.c=.o)
	$(say) LINK $@
	$(Q)$(CC) $(REL_FLAGS) -o $@ $^ $(PKG_LIBS) $(ALLOC_LIBS) -lm

$(BUILD)/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(WARN) $(DEFS) $(INC) $(REL_FLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC-SAN $<
	$(Q)$(CC) $(WARN) $(DEFS) $(INC) -Itests $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC-FUZ $<
	$(Q)$(FUZZ_CC) $(WARN) $(DEFS) $(INC) -Itests $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link \
	  $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

# The built-in lesson (`mailsim` with no file) is lesson 01's file itself,
# compiled in as a string literal (sim/scenario/default.c).
DEFAULT_LESSON := scenarios/01-alice-to-bob.json
$(BUILD)/gen/default_lesson.inc: $(DEFAULT_LESSON) scripts/embed-text.sh
	@mkdir -p $(dir $@)
	$(say) GEN $@
	$(Q)sh scripts/embed-text.sh $(DEFAULT_LESSON) >$@.tmp && mv $@.tmp $@
$(foreach t,rel san fuzz wasm,$(BUILD)/$(t)/sim/scenario/default.o): $(BUILD)/gen/default_lesson.inc

# ---- dependencies ----------------------------------------------------------
deps:
	@sh scripts/deps.sh run
deps-test:
	@sh scripts/deps.sh test

run: deps mailsim
	./mailsim scenarios/01-alice-to-bob.json

# ---- tests -----------------------------------------------------------------
# Each test program links the whole library built with ASan+UBSan.
$(BUILD)/san/tests/%: tests/%.c $(SAN_OBJ)
	@mkdir -p $(dir $@)
	$(say) TEST $@
	$(Q)$(CC) $(WARN) $(DEFS) $(INC) -Itests $(SAN_FLAGS) $(PKG_CFLAGS) -o $@ $< $(SAN_OBJ) \
	  $(PKG_LIBS) $(TEST_LIBS) -lm

# Fuzz targets also build as plain programs that replay their corpus (gcc).
$(BUILD)/san/tests/fuzz/%_replay: tests/fuzz/%.c tests/fuzz/replay_main.c $(SAN_OBJ)
	@mkdir -p $(dir $@)
	$(say) REPLAY $@
	$(Q)$(CC) $(WARN) $(DEFS) $(INC) -Itests $(SAN_FLAGS) $(PKG_CFLAGS) -o $@ $< \
	  tests/fuzz/replay_main.c $(SAN_OBJ) $(PKG_LIBS) -lm

# The browser test needs the web build: always in CI, elsewhere when the web
# toolchain is installed (otherwise tests/web/test_web.py says SKIP).
test: deps-test
	@$(MAKE) --no-print-directory -j$(JOBS) mailsim unit-tests-build
	@if [ -n "$${CI:-}" ] || sh scripts/deps-web.sh --check >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory web; fi
	@sh scripts/run-tests.sh "$(BUILD)"

unit-tests-build: $(TEST_BIN) $(REPLAY_BIN) $(BUILD)/san/mailsim

$(BUILD)/san/mailsim: $(SAN_OBJ) $(BUILD)/san/$(MAIN_SRC:.c=.o)
	$(say) LINK $@
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(filter-out $(TEST_SUPPORT:%.c=$(BUILD)/san/%.o),$(SAN_OBJ)) \
	  $(BUILD)/san/$(MAIN_SRC:.c=.o) $(PKG_LIBS) -lm

# ---- benchmarks --------------------------------------------------------------
$(BUILD)/rel/tests/bench/%: tests/bench/%.c $(REL_OBJ)
	@mkdir -p $(dir $@)
	$(say) BENCH $@
	$(Q)$(CC) $(WARN) $(DEFS) $(INC) -Itests $(REL_FLAGS) $(PKG_CFLAGS) -o $@ $< $(REL_OBJ) \
	  $(PKG_LIBS) $(ALLOC_LIBS) -lm

bench: $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@python3 tests/bench/bench_web.py "$(BUILD)"

# The page's own figures only (needs 'make web' first).
bench-web:
	@python3 tests/bench/bench_web.py "$(BUILD)"

# ---- the browser build (docs/web.md) ------------------------------------------
# scripts/web-deps.sh builds SDL2, FreeType, HarfBuzz, SDL2_ttf and cJSON from Debian's
# source packages with emcc, into a cache outside build/ (kept across 'make
# clean'), and writes where they are to $(WEB_OBJ)/deps.mk; then the library
# (without live mode, sim/bridge) and web/*.c are compiled with emcc and the
# page is assembled by scripts/web-page.sh.
WEB      := $(BUILD)/web
WEB_OBJ  := $(BUILD)/wasm
WEB_SRC  := $(filter-out sim/bridge/%,$(LIB_SRC)) $(sort $(wildcard web/*.c))
WEB_OBJS := $(WEB_SRC:%.c=$(WEB_OBJ)/%.o)
WEB_DEFS := -D_POSIX_C_SOURCE=200809L -DMAILSIM_VERSION='"$(VERSION)"' \
            -DMAILSIM_DATADIR='"/mailsim"' -DMAILSIM_NO_ZSTD
-include $(WEB_OBJ)/deps.mk
WEB_ENV   = EM_CACHE='$(EM_CACHE)' EM_FROZEN_CACHE=0 NODE_PATH=/usr/share/nodejs
WEB_INC   = $(foreach d,$(WEB_DEPS),-I$(d)/include -I$(d)/include/SDL2)
WEB_LIBS  = $(foreach d,$(WEB_DEPS),-L$(d)/lib) -lSDL2_ttf -lharfbuzz -lfreetype -lSDL2 -lcjson
WEB_LDFLAGS := -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=web -sEXIT_RUNTIME=0 \
               -sEXPORTED_RUNTIME_METHODS=ccall,cwrap,FS,addRunDependency,removeRunDependency

deps-web:
	@sh scripts/deps-web.sh

web: deps-web
	@mkdir -p $(WEB_OBJ)
	@nice sh scripts/web-deps.sh >$(WEB_OBJ)/deps.mk.new
	@cmp -s $(WEB_OBJ)/deps.mk.new $(WEB_OBJ)/deps.mk || mv $(WEB_OBJ)/deps.mk.new $(WEB_OBJ)/deps.mk
	@rm -f $(WEB_OBJ)/deps.mk.new
	@$(MAKE) --no-print-directory -j$(JOBS) web-page

$(WEB_OBJ)/%.o: %.c $(WEB_OBJ)/deps.mk
	@mkdir -p $(dir $@)
	$(say) EMCC $<
	$(Q)$(WEB_ENV) emcc $(WARN) $(WEB_DEFS) $(INC) -I. -O2 $(WEB_INC) -MMD -MP -c -o $@ $<

$(WEB)/mailsim.js: $(WEB_OBJS)
	@mkdir -p $(dir $@)
	$(say) EMLINK $@
	$(Q)$(WEB_ENV) em++ -O2 -o $@ $(WEB_OBJS) $(WEB_LIBS) $(WEB_LDFLAGS)

web-page: $(WEB)/mailsim.js
	@sh scripts/web-page.sh $(WEB)

# ---- golden transcripts of the lessons (tests/golden), rewritten for review --
golden:
	@sh scripts/golden.sh

# ---- fuzzing (clang + libFuzzer) -----------------------------------------------
$(BUILD)/fuzz/tests/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(say) FUZZ $@
	$(Q)$(FUZZ_CC) $(WARN) $(DEFS) $(INC) -Itests $(FUZZ_FLAGS) -fsanitize=fuzzer \
	  $(PKG_CFLAGS) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS) -lm

# Keep the clang objects between fuzz builds (make would delete them as
# intermediates and recompile the library for every target).
.SECONDARY: $(FUZZ_OBJ)

fuzz: $(FUZZ_BIN)
	@sh scripts/fuzz.sh "$(BUILD)" "$(FUZZ_SECONDS)" $(FUZZ_BIN)

# ---- soak: thousands of random scenarios with faults (SOAK_RUNS=N) ----------
soak:
	@sh scripts/soak.sh "$(BUILD)"

# ---- soak-live: an hour of bounded load on live mode, RSS at start, peak, end ---
SOAK_LIVE_SECONDS ?= 3600
soak-live: mailsim
	@python3 scripts/soak-live.py --seconds $(SOAK_LIVE_SECONDS) --max-rss-mb 128

# ---- quality -------------------------------------------------------------------
lint:
	@sh scripts/lint-layers.sh
	cppcheck --quiet --enable=warning,portability --error-exitcode=1 --inline-suppr \
	  -D__GNUC__ -Isim sim/

# .clang-format is for clang-format 14 (Debian 12); make format rewrites the C
# files of sim/, tests/ and web/ in place, make format-check only reports.
# Twice: a first pass can move a trailing comment that the second aligns.
format:
	clang-format -i --style=file $$(sh scripts/format-files.sh)
	clang-format -i --style=file $$(sh scripts/format-files.sh)
format-check:
	@sh scripts/format-check.sh

# ---- install -------------------------------------------------------------------
# The program, the lessons, the fonts, the man pages, the desktop entry (which
# opens the lesson picker), the icon in the hicolor theme's sizes and the bash
# completion, under DESTDIR/PREFIX. The data directory is compiled into
# core/datadir.o, which is rebuilt when PREFIX changes (the stamp below); an
# installed tree is also found from the program's own place (../share/mailsim).
DATADIR_STAMP := $(BUILD)/datadir.stamp
$(shell mkdir -p $(BUILD) && (echo '$(DATADIR)' | cmp -s - $(DATADIR_STAMP) || \
  echo '$(DATADIR)' >$(DATADIR_STAMP)))
$(BUILD)/rel/sim/core/datadir.o $(BUILD)/san/sim/core/datadir.o \
  $(BUILD)/fuzz/sim/core/datadir.o: $(DATADIR_STAMP)

ICON_SIZES := 16 22 24 32 48 64 128 256
SHARE := $(DESTDIR)$(PREFIX)/share
MANDIR ?= $(PREFIX)/share/man

install: mailsim
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/mailsim/scenarios $(SHARE)/mailsim/assets/fonts
	install -m 755 mailsim $(DESTDIR)$(PREFIX)/bin/mailsim
	install -m 644 scenarios/*.json $(SHARE)/mailsim/scenarios/
	install -m 644 assets/fonts/*.ttf assets/fonts/LICENSE.dejavu $(SHARE)/mailsim/assets/fonts/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	sed 's|/usr/share/mailsim|$(DATADIR)|g' man/mailsim.1 >$(DESTDIR)$(MANDIR)/man1/mailsim.1
	sed 's|/usr/share/mailsim|$(DATADIR)|g' man/mailsim-scenario.5 \
	  >$(DESTDIR)$(MANDIR)/man5/mailsim-scenario.5
	chmod 644 $(DESTDIR)$(MANDIR)/man1/mailsim.1 $(DESTDIR)$(MANDIR)/man5/mailsim-scenario.5
	install -d $(SHARE)/applications $(SHARE)/bash-completion/completions \
	  $(SHARE)/icons/hicolor/scalable/apps
	install -m 644 assets/mailsim.desktop $(SHARE)/applications/mailsim.desktop
	install -m 644 assets/completion/mailsim $(SHARE)/bash-completion/completions/mailsim
	install -m 644 assets/icons/mailsim.svg $(SHARE)/icons/hicolor/scalable/apps/mailsim.svg
	for s in $(ICON_SIZES); do \
	  install -d $(SHARE)/icons/hicolor/$${s}x$${s}/apps && \
	  install -m 644 assets/icons/mailsim-$$s.png $(SHARE)/icons/hicolor/$${s}x$${s}/apps/mailsim.png \
	  || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mailsim
	rm -rf $(SHARE)/mailsim
	rm -f $(DESTDIR)$(MANDIR)/man1/mailsim.1 $(DESTDIR)$(MANDIR)/man5/mailsim-scenario.5
	rm -f $(SHARE)/applications/mailsim.desktop $(SHARE)/bash-completion/completions/mailsim
	rm -f $(SHARE)/icons/hicolor/scalable/apps/mailsim.svg
	for s in $(ICON_SIZES); do rm -f $(SHARE)/icons/hicolor/$${s}x$${s}/apps/mailsim.png; done

# The icon's PNG sizes, made from the SVG (committed; run after changing it).
icons:
	for s in $(ICON_SIZES); do \
	  rsvg-convert -w $$s -h $$s assets/icons/mailsim.svg -o assets/icons/mailsim-$$s.png \
	  || exit 1; done

# A Debian package of mailsim, built for PREFIX=/usr (scripts/deb.sh).
deb:
	@sh scripts/deb.sh "$(BUILD)" "$(VERSION)"

clean:
	rm -rf $(BUILD) mailsim

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
