# Sourced by the GPU run scripts: LOGS (their first argument, else LOG_DIR, else out/) made, with the device
# and the date of the run beside the logs.
LOGS=${1:-${LOG_DIR:-out}}
mkdir -p "$LOGS"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$LOGS/device.txt"
date -u +%Y-%m-%d > "$LOGS/date.txt"
