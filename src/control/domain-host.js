export {};
//# sourceMappingURL=domain-host.js.map