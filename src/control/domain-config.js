/** Every lifecycle action, for validation and help texts. */
export const LIFECYCLE_ACTIONS = ['destroy', 'restart', 'preserve'];
/** Checks a domain name; returns what is wrong, or undefined when it is fine. */
export function domainNameProblem(name) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name))
        return `name ${JSON.stringify(name)} must be 1 to 64 letters, digits, '_', '.' or '-'`;
    if (/^\d+$/.test(name))
        return `name ${JSON.stringify(name)} is all digits, which would read as a domain id`;
    return undefined;
}
//# sourceMappingURL=domain-config.js.map