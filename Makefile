# Parley build. `make run` and `make check` are the two commands a person needs (see README.md).
# Variants: build/ (normal, -O2 -g) and build/asan/ (ASan+UBSan, -O1). `make V=asan` builds the latter.

V ?= release
ifeq ($(V),asan)
  OUT := build/asan
  OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(V),fuzz)
  # libFuzzer harnesses (fuzz/, docs/FUZZING.md): everything built by clang with coverage hooks
  OUT := build/fuzz
  CC := clang
  OPT := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
         -fno-sanitize-recover=undefined
else
  OUT := build
  OPT := -O2 -g
endif

CC ?= cc
LLHTTP_DIR := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp
PKGS := libuv jansson sqlite3 libsodium openssl libcurl inih libutf8proc
CPPFLAGS := -Isrc -I$(LLHTTP_INC) -D_GNU_SOURCE -MMD -MP
CFLAGS := -std=c17 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter $(OPT) \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lpthread -lm
LDFLAGS := $(filter -fsanitize%,$(OPT))

SRC := $(shell find src -name '*.c' ! -name main.c | sort)
OBJ := $(SRC:%.c=$(OUT)/%.o)
LLHTTP_OBJ := $(OUT)/llhttp/llhttp.o $(OUT)/llhttp/api.o $(OUT)/llhttp/http.o
LIB := $(OUT)/libparley.a
UNIT_SRC := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(OUT)/tests/unit/%)
# Each directory tools/NAME/ builds one program $(OUT)/NAME from its .c files and libparley.a.
TOOLS := $(notdir $(wildcard tools/*))
TOOLS_BIN := $(TOOLS:%=$(OUT)/%)

.PHONY: all run check deps deps-check unit integration e2e test-asan clean format fuzz fuzz-bins \
        fuzz-smoke

all: $(OUT)/parleyd $(TOOLS_BIN) $(UNIT_BIN)

Q := @
ifeq ($(VERBOSE),1)
  Q :=
endif

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -I$(LLHTTP_INC) $(OPT) -w -c $< -o $@

$(LIB): $(OBJ) $(LLHTTP_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(OUT)/parleyd: $(OUT)/src/main.o $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

define tool_rule
$(OUT)/$(1): $(patsubst %.c,$(OUT)/%.o,$(wildcard tools/$(1)/*.c)) $(LIB)
	@echo "  LINK    $$@"
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$^ $(LDLIBS)
-include $(patsubst %.c,$(OUT)/%.d,$(wildcard tools/$(1)/*.c))
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

$(OUT)/tests/unit/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

# fuzz/fuzz_NAME.c + fuzz/kit.c -> build/fuzz/fuzz_NAME (make V=fuzz fuzz-bins)
FUZZERS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZERS:%=$(OUT)/fuzz/%)
$(OUT)/fuzz/fuzz_%: $(OUT)/fuzz/fuzz_%.o $(OUT)/fuzz/kit.o $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)
fuzz-bins: $(FUZZ_BIN)
.SECONDARY: $(FUZZ_BIN:=.o) $(OUT)/fuzz/kit.o

-include $(OBJ:.o=.d) $(OUT)/src/main.d $(UNIT_BIN:=.d) $(FUZZ_BIN:=.d) $(OUT)/fuzz/kit.d

deps:
	@sh scripts/deps.sh run

deps-check:
	@sh scripts/deps.sh check

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p var
	@echo "Starting parleyd: open http://localhost:8080/ in your browser (Ctrl-C stops it)."
	./build/parleyd --data-dir ./var --web-root ./web $(ARGS)

# Everything: dependencies, both builds, unit tests, integration tests, browser test, fuzz smoke.
check: deps-check
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory V=asan all
	@$(MAKE) --no-print-directory V=fuzz fuzz-bins
	@sh scripts/check.sh

# Each harness for FUZZ_RUNS executions (default 200000) from its corpus (docs/FUZZING.md).
fuzz: deps-check
	@$(MAKE) --no-print-directory V=fuzz fuzz-bins
	@sh scripts/fuzz.sh run

# The regression inputs and a short run of each harness (part of make check).
fuzz-smoke:
	@$(MAKE) --no-print-directory V=fuzz fuzz-bins
	@sh scripts/check.sh fuzz

unit:
	@sh scripts/check.sh unit

integration:
	@sh scripts/check.sh integration

e2e:
	@sh scripts/check.sh e2e

format:
	clang-format -i $$(find src tests tools -name '*.[ch]')

clean:
	rm -rf build
