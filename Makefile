# griot — plain Makefile.  `make V=1` shows the commands.
# Library modules are picked up by directory: add a .c file and it is built.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  = $(PREFIX)/bin
MANDIR  = $(PREFIX)/share/man/man1
BUILD   ?= build

CC      ?= cc
PKGS    = libcurl yajl libpq libmicrohttpd libargon2 liboath libzip expat
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv
CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

WARN    = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN) -I. $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN)
LIBS    = $(PKG_LIBS) -lm -lpthread

ifeq ($(V),1)
Q =
QUIET_CC =
QUIET_LINK =
else
Q = @
QUIET_CC = @echo '   CC    ' $@;
QUIET_LINK = @echo '   LINK  ' $@;
endif

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1)

LIB_SRC  = $(wildcard core/*.c orange/*.c importer/*.c campaign/*.c receiver/*.c reporter/*.c console/*.c)
LIB_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/sql/migrations.o $(BUILD)/console/assets-data.o
CLI_SRC  = griot.c $(wildcard builtin/*.c)
CLI_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRC))
SIM_SRC  = $(wildcard tests/sim/*.c)
SIM_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(SIM_SRC))
TLIB_SRC = $(wildcard tests/lib/*.c)
TLIB_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(TLIB_SRC))
UNIT_SRC = $(wildcard tests/unit/test-*.c)
UNIT_BIN = $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
TOOL_SRC = $(wildcard tests/tools/*.c) $(wildcard bench/*.c)
TOOL_CC  = $(wildcard tests/tools/*.cc)
TOOL_BIN = $(patsubst %.c,$(BUILD)/%,$(TOOL_SRC)) $(patsubst %.cc,$(BUILD)/%,$(TOOL_CC))
SQL      = $(sort $(wildcard sql/*.sql))
ASSETS   = $(sort $(wildcard console/assets/*))

LIBGRIOT = $(BUILD)/libgriot.a
GRIOT    = $(BUILD)/griot
SIM      = $(BUILD)/orange-sim

.PHONY: all check check-asan unit integration demo console bench fuzz install uninstall clean deps pg-start pg-stop
.SUFFIXES:
# Keep the objects of test programs (make would delete them as intermediates).
.SECONDARY:

all: $(GRIOT) $(SIM)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -DGRIOT_VERSION='"$(VERSION)"' -MMD -MP -c -o $@ $<

$(BUILD)/sql/migrations.c: $(SQL) scripts/embed-sql
	@mkdir -p $(dir $@)
	$(Q)sh scripts/embed-sql $(SQL) > $@.tmp && mv $@.tmp $@

$(BUILD)/sql/migrations.o: $(BUILD)/sql/migrations.c
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/console/assets-data.c: $(ASSETS) scripts/embed-assets
	@mkdir -p $(dir $@)
	$(Q)sh scripts/embed-assets $(ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/console/assets-data.o: $(BUILD)/console/assets-data.c
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBGRIOT): $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(GRIOT): $(CLI_OBJ) $(LIBGRIOT)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIBGRIOT) $(LIBS)

$(SIM): $(SIM_OBJ) $(LIBGRIOT)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $(SIM_OBJ) $(LIBGRIOT) $(LIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(TLIB_OBJ) $(LIBGRIOT)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TLIB_OBJ) $(LIBGRIOT) $(LIBS) $(CUNIT_LIBS)

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(LIBGRIOT)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBGRIOT) $(LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBGRIOT)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBGRIOT) $(LIBS)

tests-build: all $(UNIT_BIN) $(TOOL_BIN)

deps:
	$(Q)scripts/deps

# `make check` sets up everything it needs (packages, a throwaway cluster).
check: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)BUILD=$(BUILD) scripts/run-tests

check-asan:
	$(Q)$(MAKE) --no-print-directory check BUILD=build-asan CFLAGS='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined'

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/demo

console: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/console

bench: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)BUILD=$(BUILD) scripts/bench

fuzz: deps
	$(Q)BUILD=$(BUILD) scripts/fuzz

# The reliability run (docs/soak.md): SOAK_MESSAGES, SOAK_RATE, SOAK_SEED, SOAK_TIME_LIMIT.
.PHONY: soak
soak: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)BUILD=$(BUILD) scripts/soak

pg-start:
	$(Q)scripts/pg start
pg-stop:
	$(Q)scripts/pg stop

install: $(GRIOT)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 $(GRIOT) $(DESTDIR)$(BINDIR)/griot
	install -m 644 docs/griot.1 $(DESTDIR)$(MANDIR)/griot.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/griot $(DESTDIR)$(MANDIR)/griot.1

clean:
	rm -rf build build-asan build-fuzz

.PHONY: tests-build
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# The libphonenumber oracle (C++), used only by tests.
$(BUILD)/tests/tools/%: tests/tools/%.cc $(LIBGRIOT)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CXX) -O2 -std=c++17 -I. $(SAN) -o $@ $< $(LIBGRIOT) -lphonenumber $(LIBS)
