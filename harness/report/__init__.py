"""What a person sees: progress while a job runs, tables when it ends."""
