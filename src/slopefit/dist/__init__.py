"""torchrun: the process group, each process's share of the data, collectives; nothing else knows ranks."""
