# SD-card image targets: `make image`, `make image-test`, `make image-tools`.
# Used as `make -C firmware image`, or from the top-level Makefile with `include firmware/image.mk`
# (anywhere: this file leaves the default goal alone). Needs root, a Debian 12 or 13 build machine and
# the packages in firmware/build-packages.txt (image-tools installs them). Not part of `make test`.

CALLERID_FW := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
_callerid_default_goal := $(.DEFAULT_GOAL)

IMAGE ?= $(CALLERID_FW)/out/callerid-arm64.img

.PHONY: image image-test image-tools

image-tools:
	$(CALLERID_FW)/../scripts/apt-install.sh $(CALLERID_FW)/build-packages.txt

# Always rebuilds (the apt cache in out/work/apt-cache makes a rebuild download nothing).
image: image-tools
	$(CALLERID_FW)/build-image.sh $(IMAGE)

# Boots the image's own kernel under qemu-system-aarch64 until callerid.service is ready.
image-test: image-tools
	@[ -f $(IMAGE) ] || $(CALLERID_FW)/build-image.sh $(IMAGE)
	$(CALLERID_FW)/image-test.sh $(IMAGE)

.DEFAULT_GOAL := $(_callerid_default_goal)
