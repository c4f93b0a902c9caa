// The echo handler every target runs: the event back, as is.
exports.handler = async (e) => e;
