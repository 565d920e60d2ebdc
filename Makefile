# SPDX-License-Identifier: GPL-2.0
# nrtls build.  'make help' lists the targets; README.md explains them.

# The running kernel when its headers are installed, else Debian's 6.1.
KVER ?= $(shell [ -e /lib/modules/$$(uname -r)/build/Makefile ] && uname -r || echo 6.1)
TOP := $(CURDIR)
BUILD := $(TOP)/build
U := $(BUILD)/user

# Goals that do not need kernel headers (they may install them).
NOKERNEL_GOALS := help deps check demo clean distclean userspace install uninstall fuzz host-tests deb
ifneq ($(filter-out $(NOKERNEL_GOALS),$(or $(MAKECMDGOALS),all)),)
 ifeq ($(origin KDIR),undefined)
  KREL := $(shell $(TOP)/scripts/krel.sh $(KVER) 2>/dev/null)
  ifeq ($(KREL),)
   $(error $(shell $(TOP)/scripts/krel.sh $(KVER) 2>&1))
  endif
  KDIR := /lib/modules/$(KREL)/build
 else
  KREL := $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	    $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
  ifeq ($(KREL),)
   $(error KDIR=$(KDIR) is not a configured kernel build tree: install that kernel's headers)
  endif
 endif
endif

# Everything built for one kernel goes to build/<release>/.
O := $(BUILD)/$(KREL)
KO := $(O)/nrtls.ko

need = $(if $(shell command -v $(1)),,$(error $(1) not found: apt-get install $(2) (or run 'make deps')))

CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
BASE_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	-I$(TOP)/kmod/uapi $(CFLAGS)
USER_CFLAGS = $(BASE_CFLAGS) -I$(O)/bpf -I$(U)/bpf -Ibpf
LIBBPF_LIBS = $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
USER_LIBS = $(LIBBPF_LIBS) -luring -lssl -lcrypto -lpthread

# Test fixtures, built per kernel against its vmlinux.h; programs that
# nrtlsctl ships are built once from UAPI headers (below, build/user/bpf).
BPF_USER_SRCS := bpf/nrtls_rx.bpf.c bpf/nrtls_steer.bpf.c
BPF_USER_OBJS := $(patsubst bpf/%.bpf.c,$(U)/bpf/%.bpf.o,$(BPF_USER_SRCS))
BPF_USER_SKELS := $(BPF_USER_OBJS:.bpf.o=.skel.h)
BPF_SRCS := $(filter-out $(BPF_USER_SRCS),$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(O)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(BPF_OBJS:.bpf.o=.skel.h)
BPF_HDRS := $(wildcard bpf/*.h)

# The kselftest harness comes from Debian's linux-source-6.1, not a copy.
KSFT_DIR = $(BUILD)/tools/linux-source-6.1/tools/testing/selftests
KSFT_STAMP := $(BUILD)/tools/linux-source-6.1/.extracted
SELFTEST_SRCS := $(wildcard selftests/*.c)
SELFTEST_BINS := $(patsubst selftests/%.c,$(O)/selftests/%,$(SELFTEST_SRCS))
SELFTEST_LIB := $(wildcard selftests/lib/*.c)
# The 6.1 harness's TEST() expands an unused 'variant' parameter into our code.
SELFTEST_CFLAGS = $(USER_CFLAGS) -Wno-unused-parameter -isystem $(KSFT_DIR) -Iselftests/lib
SELFTEST_HDRS := $(wildcard selftests/lib/*.h)
# Programs the tests start (not tests themselves): build/<release>/selftests/helpers/.
HELPER_SRCS := $(wildcard selftests/helpers/*.c)
HELPER_BINS := $(patsubst selftests/helpers/%.c,$(O)/selftests/helpers/%,$(HELPER_SRCS))
FUSE_CFLAGS = $(shell pkg-config --cflags fuse3 2>/dev/null || echo -I/usr/include/fuse3)
FUSE_LIBS = $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3 -lpthread)

.PHONY: all kmod bpf userspace install uninstall deb modules_install modules_uninstall fuzz host-tests selftests clang-check bench bench-build bench-rx bench-steer check deps vm-shell vm-run demo demo-vm clean distclean help FORCE

all: kmod bpf userspace

help:
	@echo 'make [KVER=6.1|6.12|RELEASE | KDIR=DIR]  build nrtls.ko (-> kmod/nrtls.ko), BPF objects, userspace;'
	@echo '                                   default: the running kernel if its headers are installed, else 6.1'
	@echo 'make userspace                    libnrtls, nrtls-serve, nrtlsctl (-> build/user/)'
	@echo 'make install [PREFIX=] [DESTDIR=] install the userspace (default /usr/local)'
	@echo 'make modules_install [KVER=]      install nrtls.ko for modprobe (after make), depmod'
	@echo 'make deb                          Debian package: DKMS module source and the userspace (-> build/deb/)'
	@echo 'make selftests                    build the selftests'
	@echo 'make clang-check                  compile the userspace code with clang too'
	@echo 'make bench [KVER=]                benchmarks on the host and in a VM (not part of make check)'
	@echo 'make bench-rx [KVER=]             only its TLS receive comparison (NIC, kTLS, OpenSSL), in a VM'
	@echo 'make bench-steer [KVER=]          only its steering comparison (lag0 without and with nrtls_steer), in a VM'
	@echo 'make check                        install deps, host tests, VM suites on 6.1 and 6.12'
	@echo 'make demo [KVER=]                 install deps, boot a VM, serve and fetch files over HTTPS'
	@echo 'make vm-shell [KVER=]             interactive guest with the module loaded'
	@echo "make vm-run [KVER=] CMD='...'     run CMD in such a guest, from this directory"
	@echo 'make deps                         install the Debian packages nrtls needs'
	@echo 'make clean | distclean            remove build outputs | and cached tools'

deps:
	@$(TOP)/scripts/deps.sh

# --- kernel module ---------------------------------------------------------

kmod: $(KO)
	@cp $(KO) kmod/nrtls.ko
	@cp $(O)/nrtls_nic.ko kmod/nic/nrtls_nic.ko

$(KO): FORCE
	@$(TOP)/scripts/build-kmod.sh $(KDIR) $(O)

# --- BPF -------------------------------------------------------------------

bpf: $(BPF_SKELS) $(BPF_USER_SKELS)

# vmlinux.h holds the kernel's types and the module's (struct nrtls_ctx, ...),
# dumped from the module's split BTF over the kernel's BTF.
$(O)/bpf/vmlinux.h: $(KO)
	$(call need,$(BPFTOOL),bpftool)
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file $(KO) --base-btf $$(cat $(O)/btf-base) format c > $@.tmp
	@mv $@.tmp $@

$(O)/bpf/%.bpf.o: bpf/%.bpf.c $(O)/bpf/vmlinux.h $(BPF_HDRS)
	$(call need,$(CLANG),clang)
	$(CLANG) -target bpf -g -O2 -Wall -Werror -D__TARGET_ARCH_x86 \
		-I$(O)/bpf -Ibpf -c $< -o $@

$(O)/bpf/%.skel.h: $(O)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@.tmp
	@mv $@.tmp $@

# --- userspace ------------------------------------------------------------

# Userspace does not depend on the kernel it runs on: build/user/ (U).
PREFIX ?= /usr/local
# One version for the module and the programs: kmod/version.h's.
VERSION := $(shell sed -n 's/^\#define NRTLS_VERSION "\(.*\)"$$/\1/p' kmod/version.h)
# The man pages' date: the last commit's, or today outside a git checkout.
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null || date +%F)
LIB_SRCS := $(wildcard userspace/lib/*.c)
LIB_OBJS := $(patsubst userspace/lib/%.c,$(U)/obj/lib/%.o,$(LIB_SRCS))
LIB_PIC_OBJS := $(LIB_OBJS:.o=.pic.o)
SERVE_SRCS := $(filter-out userspace/serve/fuzz_%.c,$(wildcard userspace/serve/*.c))
SERVE_OBJS := $(patsubst userspace/serve/%.c,$(U)/obj/serve/%.o,$(SERVE_SRCS))
USER_HDRS := $(wildcard userspace/*/*.h) kmod/uapi/linux/nrtls.h kmod/version.h
UCFLAGS := $(BASE_CFLAGS) -Iuserspace/lib -DNRTLS_VERSION='"$(VERSION)"'
NET_LIBS := -luring -lssl -lcrypto -lpthread

userspace: $(U)/lib/libnrtls.a $(U)/lib/libnrtls.so.0 $(U)/bin/nrtls-serve $(U)/bin/nrtlsctl \
	$(U)/ip/link_nrtls.so $(U)/ip/link_nrtls_lag.so $(U)/ip/link_nrtls_lag_slave.so

$(U)/obj/%.o: userspace/%.c $(USER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -c -o $@ $<

$(U)/obj/lib/%.pic.o: userspace/lib/%.c $(USER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -fPIC -c -o $@ $<

$(U)/lib/libnrtls.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(U)/lib/libnrtls.so.0: $(LIB_PIC_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libnrtls.so.0 -o $@ $^ $(NET_LIBS)

$(U)/bin/nrtls-serve: $(SERVE_OBJS) $(U)/lib/libnrtls.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(NET_LIBS) -lsystemd

CTL_SRCS := $(wildcard userspace/ctl/*.c)
$(U)/bin/nrtlsctl: $(CTL_SRCS) $(USER_HDRS) $(BPF_USER_SKELS)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -I$(U)/bpf -Ibpf $(LDFLAGS) -o $@ $(CTL_SRCS) $(LIBBPF_LIBS)

# The BPF programs nrtlsctl embeds: any kernel, so UAPI headers only.
$(U)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) kmod/uapi/linux/nrtls.h
	$(call need,$(CLANG),clang)
	@mkdir -p $(@D)
	$(CLANG) -target bpf -g -O2 -Wall -Werror -I$(TOP)/kmod/uapi -Ibpf \
		-I/usr/include/$$($(CC) -print-multiarch) -c $< -o $@

$(U)/bpf/%.skel.h: $(U)/bpf/%.bpf.o
	$(call need,$(BPFTOOL),bpftool)
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@.tmp
	@mv $@.tmp $@

# Everything goes inside PREFIX unless asked.  ip(8) itself loads
# link_nrtls.so (and link_nrtls_lag.so, link_nrtls_lag_slave.so: the same file) from
# /usr/lib/<multiarch>/ip (IPLIBDIR=/usr/lib/$(gcc -print-multiarch)/ip) or
# from $IP_LIB_DIR; systemd and udev read
# /lib/systemd/system and /lib/udev/rules.d (SYSTEMDUNITDIR=, UDEVRULESDIR=).
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
IPLIBDIR ?= $(LIBDIR)/ip
SYSTEMDUNITDIR ?= $(PREFIX)/share/nrtls
UDEVRULESDIR ?= $(PREFIX)/share/nrtls

$(U)/ip/link_nrtls.so: userspace/iplink/link_nrtls.c kmod/uapi/linux/nrtls.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) $(LDFLAGS) -fPIC -shared -o $@ $<

# ip(8) looks for link_<kind>.so: the wrapper's kind and its lowers' are in
# the same file.
$(U)/ip/link_nrtls_lag.so $(U)/ip/link_nrtls_lag_slave.so: $(U)/ip/link_nrtls.so
	ln -sf link_nrtls.so $@

install: userspace
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(INCLUDEDIR)/nrtls $(DESTDIR)$(PREFIX)/share/nrtls \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(UDEVRULESDIR)
	install -m 755 $(U)/bin/nrtls-serve $(U)/bin/nrtlsctl $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(U)/lib/libnrtls.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(U)/lib/libnrtls.so.0 $(DESTDIR)$(LIBDIR)/
	ln -sf libnrtls.so.0 $(DESTDIR)$(LIBDIR)/libnrtls.so
	install -m 644 userspace/lib/libnrtls.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 kmod/uapi/linux/nrtls.h $(DESTDIR)$(INCLUDEDIR)/linux/
	install -m 644 $(BPF_HDRS) $(DESTDIR)$(INCLUDEDIR)/nrtls/
	sed 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
		userspace/lib/libnrtls.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libnrtls.pc
	sed 's|@PREFIX@|$(PREFIX)|g' userspace/serve/nrtls-serve.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/nrtls-serve.service
	install -m 644 userspace/udev/60-nrtls.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 644 userspace/modules-load/nrtls.conf $(DESTDIR)$(PREFIX)/share/nrtls/modules-load.conf
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	for m in nrtls-serve nrtlsctl; do \
		sed 's|@PREFIX@|$(PREFIX)|g; s|@VERSION@|$(VERSION)|; s|@DATE@|$(MAN_DATE)|' \
			userspace/man/$$m.8 > $(DESTDIR)$(PREFIX)/share/man/man8/$$m.8; \
	done
	install -d $(DESTDIR)$(IPLIBDIR)
	install -m 644 $(U)/ip/link_nrtls.so $(DESTDIR)$(IPLIBDIR)/
	ln -sf link_nrtls.so $(DESTDIR)$(IPLIBDIR)/link_nrtls_lag.so
	ln -sf link_nrtls.so $(DESTDIR)$(IPLIBDIR)/link_nrtls_lag_slave.so

# The module where modprobe finds it (updates/ wins over the kernel's own
# tree), for the kernel it was built for; tls comes first by its dependency.
MODDIR = $(DESTDIR)/lib/modules/$(KREL)/updates
modules_install:
	@[ -r $(KO) ] || { echo "nrtls: no $(KO): run 'make' first" >&2; exit 1; }
	install -d $(MODDIR)
	install -m 644 $(KO) $(MODDIR)/nrtls.ko
	install -m 644 $(O)/nrtls_nic.ko $(MODDIR)/nrtls_nic.ko
	$(call need,depmod,kmod)
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KREL)

modules_uninstall:
	rm -f $(MODDIR)/nrtls.ko $(MODDIR)/nrtls_nic.ko
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KREL)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/nrtls-serve.8 $(DESTDIR)$(PREFIX)/share/man/man8/nrtlsctl.8
	rm -f $(DESTDIR)$(PREFIX)/bin/nrtls-serve $(DESTDIR)$(PREFIX)/bin/nrtlsctl \
		$(DESTDIR)$(LIBDIR)/libnrtls.a $(DESTDIR)$(LIBDIR)/libnrtls.so* \
		$(DESTDIR)$(INCLUDEDIR)/libnrtls.h $(DESTDIR)$(INCLUDEDIR)/linux/nrtls.h \
		$(DESTDIR)$(LIBDIR)/pkgconfig/libnrtls.pc \
		$(DESTDIR)$(SYSTEMDUNITDIR)/nrtls-serve.service $(DESTDIR)$(UDEVRULESDIR)/60-nrtls.rules
	rm -rf $(DESTDIR)$(PREFIX)/share/nrtls $(DESTDIR)$(INCLUDEDIR)/nrtls
	rm -f $(DESTDIR)$(IPLIBDIR)/link_nrtls.so $(DESTDIR)$(IPLIBDIR)/link_nrtls_lag.so \
		$(DESTDIR)$(IPLIBDIR)/link_nrtls_lag_slave.so

# A Debian package (debian/): the module as DKMS source, built with its BTF
# on the user's machine for each kernel, and the userspace.  Built from a
# copy of this tree, so that nothing of the packaging lands in it.
DEB ?= $(BUILD)/deb
deb:
	$(call need,dpkg-buildpackage,dpkg-dev)
	$(call need,dh,debhelper)
	$(call need,dh_dkms,dh-dkms)
	rm -rf $(DEB)
	mkdir -p $(DEB)/nrtls-$(VERSION)
	tar -C $(TOP) --exclude=./build --exclude=./.git --exclude='*.ko' -cf - . | \
		tar -C $(DEB)/nrtls-$(VERSION) -xf -
	printf 'nrtls (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- %s  %s\n' \
		'$(VERSION)' "$$(git describe --always --dirty 2>/dev/null || echo a source tree)" \
		"$$(sed -n 's/^Maintainer: //p' debian/control)" "$$(date -R)" \
		> $(DEB)/nrtls-$(VERSION)/debian/changelog
	cd $(DEB)/nrtls-$(VERSION) && NRTLS_TOOLS=$(BUILD)/tools \
		dpkg-buildpackage -b -us -uc > $(DEB)/build.log 2>&1 || \
		{ tail -n 40 $(DEB)/build.log >&2; echo "nrtls: dpkg-buildpackage failed: $(DEB)/build.log" >&2; exit 1; }
	@ls $(DEB)/*.deb

# Unit tests of the server's pure parts (run by the host tests).
HOST_TESTS := $(U)/test/test_http

host-tests: $(HOST_TESTS) fuzz

$(U)/test/test_http: selftests/host/test_http.c userspace/serve/http.c userspace/serve/response.c \
		userspace/serve/mime.c $(USER_HDRS) $(KSFT_STAMP)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Wno-unused-parameter -isystem $(KSFT_DIR) -Iuserspace/serve -o $@ \
		selftests/host/test_http.c userspace/serve/http.c userspace/serve/response.c \
		userspace/serve/mime.c

# The HTTP parser under libFuzzer (run by the host tests for a bounded time).
fuzz: $(U)/fuzz/fuzz_http

$(U)/fuzz/fuzz_http: userspace/serve/fuzz_http.c userspace/serve/http.c userspace/serve/http.h
	@mkdir -p $(@D)
	$(CLANG) $(BASE_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ \
		userspace/serve/fuzz_http.c userspace/serve/http.c

# --- selftests -------------------------------------------------------------

selftests: $(SELFTEST_BINS) $(HELPER_BINS) kmod

$(O)/selftests/helpers/%: selftests/helpers/%.c selftests/lib/nrtls_pattern.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Iselftests/lib $(FUSE_CFLAGS) -o $@ $< $(FUSE_LIBS)

$(KSFT_STAMP):
	@$(TOP)/scripts/ksource.sh 6.1 > /dev/null

$(O)/selftests/%: selftests/%.c $(SELFTEST_LIB) $(SELFTEST_HDRS) $(BPF_SKELS) $(BPF_USER_SKELS) $(KSFT_STAMP)
	@mkdir -p $(@D)
	$(CC) $(SELFTEST_CFLAGS) -o $@ \
		$< $(SELFTEST_LIB) $(USER_LIBS)

# --- benchmarks (not part of make check) ------------------------------------

BENCH := $(O)/bench/nrtls-bench
RXBENCH := $(O)/bench/nrtls-rxbench

bench-build: $(BENCH) $(RXBENCH)

$(BENCH): bench/nrtls-bench.c kmod/uapi/linux/nrtls.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -o $@ $< -luring

$(RXBENCH): bench/nrtls-rxbench.c $(U)/lib/libnrtls.a userspace/lib/libnrtls.h
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -o $@ $< $(U)/lib/libnrtls.a $(NET_LIBS)

# BENCH_SECS and BENCH_ROUNDS set the length of the server comparison,
# BENCH_SOAK_SECS that of the soak (make check runs it for 120 s),
# BENCH_REPEAT the runs per cell of the split latency matrix (medians),
# BENCH_ALTERNATE the ms per phase of its cold load on and off.
BENCH_SECS ?= 10
BENCH_ROUNDS ?= 3
BENCH_REPEAT ?= 3
BENCH_ALTERNATE ?= 1000
BENCH_SOAK_SECS ?= 1800
SERVE_BENCH = bench/serve.sh $(1) $(BENCH_SECS) 1 16 $(BENCH_ROUNDS)

# Benchmark VMs: alone on the host's CPUs; no slub_debug, which taxes
# whoever allocates more; and the TSC as clock: QEMU's TCG derives every
# vCPU's TSC from one VM-wide counter, but its AMD CPU model lacks
# constant_tsc, so 6.1 would fall back to the HPET, an emulated device read
# on every clock read.
BENCH_VM = $(TOP)/scripts/vm/run.sh --kver $(KREL) --alone --no-slub-debug --append tsc=reliable

RX_BENCH = bench/rx.sh $(RXBENCH) $(BENCH_SECS) $(BENCH_ROUNDS)
STEER_BENCH = bench/steer.sh $(RXBENCH) $(BENCH_SECS) $(BENCH_ROUNDS)

bench: kmod bench-build userspace selftests
	@echo '=== nrtls-serve vs nginx, plain HTTP, on this host'
	@$(TOP)/$(call SERVE_BENCH,http)
	@echo '=== in a $(KREL) VM without slub_debug: sendfile latency; nrtls-serve vs nginx over HTTP and HTTPS; TLS receive; steering'
	@$(BENCH_VM) --timeout 6000 \
		--cmd 'bench/run.sh $(BENCH) && \
		echo && $(call SERVE_BENCH,http) && echo && \
		$(call SERVE_BENCH,https) && echo && $(RX_BENCH) && echo && $(STEER_BENCH)'
	@echo '=== in a $(KREL) VM with guest CPU 0 on a host CPU of its own: sendfile latency, the server and the cold clients apart'
	@$(BENCH_VM) --pin-vcpus --timeout 6000 \
		--cmd 'ALTERNATE=$(BENCH_ALTERNATE) REPEAT=$(BENCH_REPEAT) SPLIT_CPUS=0:1 bench/run.sh $(BENCH)'
	@echo '=== soak: $(BENCH_SOAK_SECS) s of nrtls-serve under faults, in a $(KREL) VM with slub_debug'
	@$(TOP)/scripts/vm/run.sh --kver $(KREL) --params debug_check=1 \
		--timeout $$(($(BENCH_SOAK_SECS) + 900)) \
		--cmd 'NRTLS_SOAK_SECS=$(BENCH_SOAK_SECS) selftests/run.sh -t $$(($(BENCH_SOAK_SECS) + 800)) nrtls_soak'

# The TLS receive comparison alone (part of make bench).
bench-rx: kmod bench-build userspace
	@$(BENCH_VM) --timeout 1200 --cmd '$(RX_BENCH)'

bench-steer: kmod bench-build userspace
	@$(BENCH_VM) --timeout 1200 --cmd '$(STEER_BENCH)'

# Userspace must build without warnings from clang too.
clang-check: $(BPF_SKELS) $(BPF_USER_SKELS) $(KSFT_STAMP)
	$(call need,$(CLANG),clang)
	@for f in $(SELFTEST_SRCS) $(SELFTEST_LIB) bench/nrtls-bench.c; do \
		echo "  CLANG   $$f"; \
		$(CLANG) $(SELFTEST_CFLAGS) -fsyntax-only $$f || exit 1; \
	done
	@for f in $(HELPER_SRCS); do \
		echo "  CLANG   $$f"; \
		$(CLANG) $(BASE_CFLAGS) -Iselftests/lib $(FUSE_CFLAGS) -fsyntax-only $$f || exit 1; \
	done
	@for f in $(LIB_SRCS) $(SERVE_SRCS) userspace/serve/fuzz_http.c $(CTL_SRCS) \
			userspace/iplink/link_nrtls.c bench/nrtls-rxbench.c; do \
		echo "  CLANG   $$f"; \
		$(CLANG) $(UCFLAGS) -I$(U)/bpf -Ibpf -fsyntax-only $$f || exit 1; \
	done

# --- tests and VMs ---------------------------------------------------------

check:
	@$(TOP)/scripts/check.sh

vm-shell: kmod selftests
	@$(TOP)/scripts/vm/run.sh --kver $(KREL) --shell

vm-run: kmod selftests
	@$(TOP)/scripts/vm/run.sh --kver $(KREL) --cmd '$(CMD)'

# Like check, demo installs what it needs first: the kernel headers may be
# among it, so the build is a second make that reads them.
demo:
	@$(TOP)/scripts/deps.sh
	@$(MAKE) --no-print-directory demo-vm KVER=$(KVER)

demo-vm: kmod userspace
	@$(TOP)/scripts/vm/run.sh --kver $(KREL) -- scripts/demo.sh

clean:
	rm -rf $(BUILD)/*-amd64 $(BUILD)/vm $(BUILD)/check kmod/nrtls.ko
	find kmod \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name modules.order -o -name Module.symvers \) -delete

distclean: clean
	rm -rf $(BUILD)

FORCE:

# Keep intermediates (BPF objects) so that nothing rebuilds needlessly.
.SECONDARY:
