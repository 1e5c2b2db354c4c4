"""The project's Faust transport (consumer, producer, changelog buffer) and its hooks into
Faust: the only place that uses Faust, mode or aiokafka internals (private names), each
one listed, with where and why, in `streams.faust_ext.inventory`."""
