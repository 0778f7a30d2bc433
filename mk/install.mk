# Installation: DKMS for the module, 'make install' for cpuidctl and the
# OCI hook configuration. docs/install.md is the user documentation.
#
#   make dkms-install [DKMS_KERNELS="kver..."]   module sources to
#                     /usr/src/cpuidvirt-VERSION, dkms add/build/install
#   make dkms-uninstall                          dkms remove, sources gone
#   make install [DESTDIR=... PREFIX=/usr/local]  cpuidctl, its man pages
#                     (cpuidctl.8, cpuidvirt.profile.5) and bash completion,
#                     hooks.d JSON
#   make uninstall
#
# DKMS_FLAGS is passed to every dkms call; the host test uses it to point
# dkms at private trees (--dkmstree/--sourcetree/--installtree).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
# Where bash-completion looks for completions loaded on demand.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
OCI_HOOKS_DIR ?= /usr/share/containers/oci/hooks.d
INSTALL ?= install

DKMS ?= dkms
DKMS_FLAGS ?=
DKMS_SOURCE_TREE ?= /usr/src
# Default: the running kernel; dkms's AUTOINSTALL covers later kernels.
DKMS_KERNELS ?= $(shell uname -r)

# One version for the module, its DKMS package and the source directory.
CPUIDVIRT_VERSION ?= $(or $(shell sed -n 's/^\#define CPUIDVIRT_VERSION[[:space:]]*"\(.*\)"/\1/p' \
	$(TOP)/module/version.h 2>/dev/null),0.1)
DKMS_SRC := $(DESTDIR)$(DKMS_SOURCE_TREE)/cpuidvirt-$(CPUIDVIRT_VERSION)

OCI_HOOKS := cpuidvirt-create-runtime.json cpuidvirt-poststop.json

.PHONY: dkms-install dkms-uninstall dkms-sources install uninstall dkms-version

dkms-version:
	@echo $(CPUIDVIRT_VERSION)

# Only what Kbuild needs: no tools, tests or build products.
dkms-sources:
	@test -f $(TOP)/Kbuild || { echo "dkms-install: no Kbuild in $(TOP)" >&2; exit 1; }
	rm -rf '$(DKMS_SRC)'
	$(INSTALL) -d '$(DKMS_SRC)/module' '$(DKMS_SRC)/uapi/linux'
	$(INSTALL) -m 0644 $(TOP)/Kbuild '$(DKMS_SRC)/Kbuild'
	$(INSTALL) -m 0644 $(wildcard $(TOP)/module/*.c $(TOP)/module/*.h $(TOP)/module/*.sh) '$(DKMS_SRC)/module/'
	$(INSTALL) -m 0644 $(TOP)/uapi/linux/cpuidvirt.h '$(DKMS_SRC)/uapi/linux/'
	sed 's/@VERSION@/$(CPUIDVIRT_VERSION)/' $(TOP)/dkms.conf > '$(DKMS_SRC)/dkms.conf'

# Reinstalling or upgrading: every registered cpuidvirt version is removed
# first, so exactly one version stays registered and installed.
dkms-install: dkms-uninstall-registered dkms-sources
	$(DKMS) add $(DKMS_FLAGS) -m cpuidvirt -v $(CPUIDVIRT_VERSION)
	set -e; for k in $(DKMS_KERNELS); do \
		$(DKMS) build $(DKMS_FLAGS) -m cpuidvirt -v $(CPUIDVIRT_VERSION) -k $$k; \
		$(DKMS) install $(DKMS_FLAGS) -m cpuidvirt -v $(CPUIDVIRT_VERSION) -k $$k; \
	done

.PHONY: dkms-uninstall-registered
dkms-uninstall-registered:
	@for v in $$($(DKMS) status $(DKMS_FLAGS) -m cpuidvirt 2>/dev/null | \
			sed -n 's|^cpuidvirt/\([^,:]*\).*|\1|p' | sort -u); do \
		echo "$(DKMS) remove $(DKMS_FLAGS) -m cpuidvirt -v $$v --all"; \
		$(DKMS) remove $(DKMS_FLAGS) -m cpuidvirt -v $$v --all || exit 1; \
	done

dkms-uninstall: dkms-uninstall-registered
	rm -rf '$(DESTDIR)$(DKMS_SOURCE_TREE)'/cpuidvirt-*/

# The hooks.d files name cpuidctl by absolute path, so BINDIR goes in.
install:
	$(MAKE) -C $(TOP)/tools/cpuidctl
	$(MAKE) -f $(TOP)/mk/doc.mk TOP=$(TOP) BUILD=$(BUILD) man
	$(INSTALL) -D -m 0755 $(TOP)/tools/cpuidctl/cpuidctl '$(DESTDIR)$(BINDIR)/cpuidctl'
	$(INSTALL) -D -m 0644 $(BUILD)/man/cpuidctl.8 '$(DESTDIR)$(MANDIR)/man8/cpuidctl.8'
	$(INSTALL) -D -m 0644 $(BUILD)/man/cpuidvirt.profile.5 '$(DESTDIR)$(MANDIR)/man5/cpuidvirt.profile.5'
	$(INSTALL) -D -m 0644 $(TOP)/tools/cpuidctl/completion/cpuidctl.bash '$(DESTDIR)$(BASHCOMPDIR)/cpuidctl'
	$(INSTALL) -d '$(DESTDIR)$(OCI_HOOKS_DIR)' '$(DESTDIR)$(SYSCONFDIR)/cpuidvirt/profiles'
	set -e; for h in $(OCI_HOOKS); do \
		sed 's|@BINDIR@|$(BINDIR)|g' $(TOP)/contrib/oci/$$h.in > '$(DESTDIR)$(OCI_HOOKS_DIR)'/$$h; \
		chmod 0644 '$(DESTDIR)$(OCI_HOOKS_DIR)'/$$h; \
	done

# Profiles an administrator put in /etc/cpuidvirt/profiles are kept.
uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/cpuidctl'
	rm -f '$(DESTDIR)$(MANDIR)/man8/cpuidctl.8' '$(DESTDIR)$(MANDIR)/man5/cpuidvirt.profile.5'
	rm -f '$(DESTDIR)$(BASHCOMPDIR)/cpuidctl'
	rm -f $(addprefix '$(DESTDIR)$(OCI_HOOKS_DIR)'/,$(OCI_HOOKS))
	-rmdir '$(DESTDIR)$(SYSCONFDIR)/cpuidvirt/profiles' '$(DESTDIR)$(SYSCONFDIR)/cpuidvirt' 2>/dev/null
