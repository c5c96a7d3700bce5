# Sourced by the GPU run scripts: LOGS (their first argument, default out/) made, with the device
# and the date of the run beside the logs.
LOGS=${1:-out}
mkdir -p "$LOGS"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$LOGS/device.txt"
date -u +%Y-%m-%d > "$LOGS/date.txt"
