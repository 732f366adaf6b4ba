"""What a deployment accepts: public mode's limits and the safety screen. Imports core and engines."""
