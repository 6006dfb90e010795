#!/bin/bash
# pxe-uefi.sh with OVMF's Secure Boot firmware and Microsoft's keys.
SECBOOT=1 exec "$SRCDIR/tests/e2e/pxe-uefi.sh"
