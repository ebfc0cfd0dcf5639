#!/bin/bash
# fsscript of the cloud-init feature: start every instance from a clean state.
set -euo pipefail
rm -rf /var/lib/cloud/instances /var/lib/cloud/instance
rm -f /etc/machine-id
touch /etc/machine-id
